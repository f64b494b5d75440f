// Command netns-bridge forwards 127.0.0.1:PORT of the namespace it runs in
// to 127.0.0.1:PORT inside a network namespace (the real node's), so that
// kubectl, helm and the action reach an API server that lives there while
// no address other than loopback is added outside it.
//
//	netns-bridge NETNS_PATH PORT
//
// Each connection is dialled from a thread moved into the namespace; the
// socket stays there. Ends on SIGTERM, SIGINT, or when its parent is gone.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: netns-bridge NETNS_PATH PORT")
		os.Exit(2)
	}
	netns, port := os.Args[1], os.Args[2]
	addr := net.JoinHostPort("127.0.0.1", port)
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns-bridge:", err)
		os.Exit(1)
	}
	fmt.Println("listening on", addr)
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		os.Exit(0)
	}()
	for {
		conn, err := listener.Accept()
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go forward(conn, netns, addr)
	}
}

func forward(conn net.Conn, netns, addr string) {
	defer conn.Close()
	inner, err := dialIn(netns, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns-bridge:", err)
		return
	}
	defer inner.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(inner, conn); closeWrite(inner); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, inner); closeWrite(conn); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
}

// dialIn dials from a locked thread switched into the namespace; the thread
// is not switched back (it may not be reusable), so it ends with the goroutine.
func dialIn(netns, addr string) (net.Conn, error) {
	result := make(chan any, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		fd, err := unix.Open(netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			result <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			result <- fmt.Errorf("setns %s: %w", netns, err)
			return
		}
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			result <- err
			return
		}
		result <- conn
	}()
	switch r := (<-result).(type) {
	case net.Conn:
		return r, nil
	case error:
		return nil, r
	}
	return nil, fmt.Errorf("netns-bridge: no connection")
}
