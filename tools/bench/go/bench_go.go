// Go peer of spindle's benchmark suite (standard library only). Run with GOMAXPROCS=1.
//
//	bench_go yield [n]          2 goroutines x n runtime.Gosched()       -> ns/yield
//	bench_go spawn [n] [batch]  n trivial goroutines, `batch` at a time + sync.WaitGroup -> ns/fiber
//	bench_go idle N             N goroutines each sleeping 1 s           -> bytes/fiber, ms
//	bench_go pingpong [n]       an int bounced between two goroutines through two chan int (cap 1) -> ns/roundtrip
//	bench_go lock [n]           n uncontended sync.Mutex Lock+Unlock     -> ns/op
//	bench_go pipeline [n]       1 producer, 4 consumers, chan int (cap 128) -> items/s
//	bench_go timeout [n]        n x time.AfterFunc(1 h)+Stop, then n x context.WithTimeout(1 h)+cancel -> ns/op each
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func argOr(i int, dflt int64) int64 {
	if len(os.Args) > i {
		v, err := strconv.ParseInt(os.Args[i], 10, 64)
		if err == nil {
			return v
		}
	}
	return dflt
}

// Peak resident set size in bytes (VmHWM from /proc/self/status).
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "VmHWM:") {
			fields := strings.Fields(line[6:])
			kb, _ := strconv.ParseInt(fields[0], 10, 64)
			return kb * 1024
		}
	}
	return -1
}

func report(workload string, value float64, unit string) {
	fmt.Printf("go_%s %.6g %s\n", workload, value, unit)
}

func benchYield(n int64) {
	var wg sync.WaitGroup
	wg.Add(2)
	body := func() {
		for i := int64(0); i < n; i++ {
			runtime.Gosched()
		}
		wg.Done()
	}
	t0 := time.Now()
	go body()
	go body()
	wg.Wait()
	ns := float64(time.Since(t0).Nanoseconds())
	report("yield", ns/(2*float64(n)), "ns/yield")
}

func benchSpawn(total, batch int64) {
	var count int64
	var wg sync.WaitGroup
	oneBatch := func() {
		wg.Add(int(batch))
		for i := int64(0); i < batch; i++ {
			go func() {
				atomic.AddInt64(&count, 1)
				wg.Done()
			}()
		}
		wg.Wait()
	}
	oneBatch() // warm-up
	t0 := time.Now()
	for done := int64(0); done < total; done += batch {
		oneBatch()
	}
	ns := float64(time.Since(t0).Nanoseconds())
	if count != total+batch {
		panic("lost goroutines")
	}
	report("spawn_join", ns/float64(total), "ns/fiber")
}

func benchIdle(n int64) {
	base := vmHWM()
	var started int64
	var allStarted time.Time
	var wg sync.WaitGroup
	wg.Add(int(n))
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		go func() {
			if atomic.AddInt64(&started, 1) == n {
				allStarted = time.Now()
			}
			// 1 s; again while others have yet to start, so all N are parked at the same time.
			for {
				time.Sleep(time.Second)
				if atomic.LoadInt64(&started) == n {
					break
				}
			}
			wg.Done()
		}()
	}
	wg.Wait()
	peak := vmHWM()
	suffix := strconv.FormatInt(n, 10)
	perFiber, startedMs := 0.0, 0.0
	if n > 0 {
		perFiber = float64(peak-base) / float64(n)
		startedMs = float64(allStarted.Sub(t0).Nanoseconds()) / 1e6
	}
	report("idle_rss_"+suffix, perFiber, "bytes/fiber")
	report("idle_started_"+suffix, startedMs, "ms")
}

func benchPingPong(n int64) {
	ping := make(chan int, 1)
	pong := make(chan int, 1)
	done := make(chan struct{})
	t0 := time.Now()
	go func() {
		for i := int64(0); i < n; i++ {
			pong <- <-ping
		}
		close(done)
	}()
	var sum int64
	for i := int64(0); i < n; i++ {
		ping <- int(i)
		sum += int64(<-pong)
	}
	<-done
	ns := float64(time.Since(t0).Nanoseconds())
	if n < 65536 && sum != (n-1)*n/2 {
		panic("lost items")
	}
	report("pingpong", ns/float64(n), "ns/roundtrip")
}

var lockCounter int64

func benchLock(n int64) {
	var mu sync.Mutex
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		mu.Lock()
		lockCounter++
		mu.Unlock()
	}
	ns := float64(time.Since(t0).Nanoseconds())
	if lockCounter != n {
		panic("lost increments")
	}
	report("lock", ns/float64(n), "ns/op")
}

func benchPipeline(n int64) {
	ch := make(chan int, 128)
	var received int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			var mine int64
			for range ch {
				mine++
			}
			atomic.AddInt64(&received, mine)
			wg.Done()
		}()
	}
	for i := int64(0); i < n; i++ {
		ch <- int(i)
	}
	close(ch)
	wg.Wait()
	ns := float64(time.Since(t0).Nanoseconds())
	if received != n {
		panic("lost items")
	}
	report("pipeline", float64(n)/(ns*1e-9), "items/s")
}

// A deadline armed and disarmed around work that completes at once, never firing: the timer
// (time.AfterFunc + Stop) and the context (context.WithTimeout + its cancel func).
func benchTimeout(n int64) {
	fired := int64(0)
	f := func() { atomic.AddInt64(&fired, 1) }
	for i := 0; i < 1000; i++ { // warm-up
		time.AfterFunc(time.Hour, f).Stop()
	}
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		if !time.AfterFunc(time.Hour, f).Stop() {
			panic("timer fired")
		}
	}
	report("timeout", float64(time.Since(t0).Nanoseconds())/float64(n), "ns/op")

	parent := context.Background()
	t0 = time.Now()
	for i := int64(0); i < n; i++ {
		ctx, cancel := context.WithTimeout(parent, time.Hour)
		cancel()
		if ctx.Err() != context.Canceled {
			panic("context not cancelled")
		}
	}
	report("timeout_context", float64(time.Since(t0).Nanoseconds())/float64(n), "ns/op")
	if atomic.LoadInt64(&fired) != 0 {
		panic("timer fired")
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench_go yield [n] | spawn [n] [batch] | idle N | pingpong [n] | lock [n] | pipeline [n] | timeout [n]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "yield":
		benchYield(argOr(2, 1000000))
	case "spawn":
		benchSpawn(argOr(2, 1000000), argOr(3, 1000))
	case "idle":
		benchIdle(argOr(2, 0))
	case "pingpong":
		benchPingPong(argOr(2, 1000000))
	case "lock":
		benchLock(argOr(2, 10000000))
	case "pipeline":
		benchPipeline(argOr(2, 1000000))
	case "timeout":
		benchTimeout(argOr(2, 1000000))
	default:
		fmt.Fprintln(os.Stderr, "unknown workload", os.Args[1])
		os.Exit(2)
	}
}
