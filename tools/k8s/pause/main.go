// Command pause is the pod sandbox's process: it holds the pod's namespaces
// open and does nothing else. kubelet names a sandbox image for every pod;
// no registry is reachable from the lab, so this is built here and packed
// into an image by scripts/build-k8s-images.sh. It exits on SIGINT/SIGTERM and
// reaps children, as Kubernetes' own pause (build/pause/linux/pause.c) does.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reapChildren()
			continue
		}
		os.Exit(0)
	}
}

// reapChildren waits for every exited child so none stays a zombie in the
// pod's PID namespace when pid sharing is on.
func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
