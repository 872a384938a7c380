// Go peers of tools/bench/io_compare, standard library only; run with GOMAXPROCS=1.
//
//	io_go echo [--host H] [--port N]   TCP echo: one goroutine per connection (package net)
//	io_go http [--host H] [--port N]   net/http keep-alive server, every request gets 200 "hello"
//
// Like every server of the suite: port 0 picks a free port, the first line of stdout is
// `listening on H:PORT`, and SIGINT/SIGTERM exit 0.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

func serveEcho(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go echo(c) // net's TCP connections have TCP_NODELAY set by default
	}
}

func serveHTTP(ln net.Listener) error {
	hello := []byte("hello")
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	}))
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "echo" && os.Args[1] != "http") {
		fmt.Fprintln(os.Stderr, "usage: io_go echo|http [--host H] [--port N]")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 0, "port (0 = any free port)")
	fs.Parse(os.Args[2:])

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s:%d\n", *host, ln.Addr().(*net.TCPAddr).Port) // stdout is unbuffered

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		os.Exit(0)
	}()

	if mode == "echo" {
		err = serveEcho(ln)
	} else {
		err = serveHTTP(ln)
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
