// Go peer of spindle's benchmark suite (standard library only). Run with GOMAXPROCS=1.
//
//	bench_go yield [n]          2 goroutines x n runtime.Gosched()       -> ns/yield
//	bench_go spawn [n] [batch]  n trivial goroutines, `batch` at a time + sync.WaitGroup -> ns/fiber
//	bench_go idle N             N goroutines each sleeping 1 s           -> bytes/fiber, ms
package main

import (
	"bufio"
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

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench_go yield [n] | spawn [n] [batch] | idle N")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "yield":
		benchYield(argOr(2, 1000000))
	case "spawn":
		benchSpawn(argOr(2, 1000000), argOr(3, 1000))
	case "idle":
		benchIdle(argOr(2, 0))
	default:
		fmt.Fprintln(os.Stderr, "unknown workload", os.Args[1])
		os.Exit(2)
	}
}
