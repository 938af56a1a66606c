package scheduler

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
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

// TestDaemonReloadsOnlyGoodConfigurations: a configuration that does not
// load, or changes the database, is refused and the one in force stays; a
// good one takes over.
func TestDaemonReloadsOnlyGoodConfigurations(t *testing.T) {
	e := newEnv(t)
	reload := make(chan struct{})
	outcomes := make(chan error)
	var next func() (*configs.Config, error)
	d := &Daemon{P: e.p, Reload: reload, Load: func() (*configs.Config, error) { return next() }, Reloaded: func(err error) { outcomes <- err }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	ask := func() error {
		t.Helper()
		reload <- struct{}{}
		return <-outcomes
	}
	before := e.p.Config

	next = func() (*configs.Config, error) { return nil, errors.New("retentiond.yaml:3: ledgr: unknown field") }
	if err := ask(); err == nil || e.p.Config != before {
		t.Fatalf("a bad configuration: %v, config replaced: %v", err, e.p.Config != before)
	}
	moved := *before
	moved.Database = filepath.Join(t.TempDir(), "other.db")
	next = func() (*configs.Config, error) { return &moved, nil }
	if err := ask(); err == nil || !strings.Contains(err.Error(), "restart the service") || e.p.Config != before {
		t.Fatalf("a moved database: %v", err)
	}
	good := *before
	good.ExecuteSchedule = "0 * * * *"
	next = func() (*configs.Config, error) { return &good, nil }
	if err := ask(); err != nil || e.p.Config != &good {
		t.Fatalf("a good configuration: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
