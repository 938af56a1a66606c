package scheduler

import (
	"context"
	"testing"
	"time"
)

func TestDaemonStartsAndStopsCleanly(t *testing.T) {
	e := newEnv(t)
	e.put("old/a.txt", 40*24*time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	ready, stopping := make(chan struct{}), make(chan struct{})
	d := &Daemon{P: e.p, Ready: func() { close(ready) }, Stopping: func() { close(stopping) }}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("daemon exited before it was ready: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("daemon: %v", err)
	}
	select {
	case <-stopping:
	default:
		t.Fatal("Stopping was not called")
	}
	if !e.src.Exists("old/a.txt") {
		t.Fatal("the daemon deleted an unapproved item")
	}
}
