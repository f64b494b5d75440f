// Command pause is the pod sandbox's process on the real node (no registry
// holds a pause image here): it sleeps until SIGTERM or SIGINT. As PID 1 it
// must handle the signal itself, or the kernel ignores it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}
