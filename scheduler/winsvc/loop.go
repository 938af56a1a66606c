// Package winsvc runs the daemon as a Windows service. The service
// control loop and the Event Log writer are plain Go, so they are tested
// on every platform; the files ending in _windows.go only translate
// between them and golang.org/x/sys/windows/svc, and install the service
// with svc/mgr and svc/eventlog.
package winsvc

import (
	"context"
	"sync"
	"time"
)

// Request is a control request from the service control manager.
type Request int

const (
	// Interrogate asks for the current status again.
	Interrogate Request = iota
	// Stop is `sc stop` or the Services console.
	Stop
	// Shutdown is the machine shutting down.
	Shutdown
	// Reload is SERVICE_CONTROL_PARAMCHANGE (`retentiond service reload`,
	// `sc control retentiond paramchange`): reload the configuration.
	Reload
)

// State is the state reported to the service control manager.
type State int

const (
	StartPending State = iota
	Running
	StopPending
	Stopped
)

func (s State) String() string {
	return [...]string{"start pending", "running", "stop pending", "stopped"}[s]
}

// Status is one status report. Accepting is whether the service takes
// Stop, Shutdown and Reload requests in this state.
type Status struct {
	State     State
	Accepting bool
	// WaitHint is how long the manager should wait for the next report
	// before it takes the service for hung (pending states only).
	WaitHint time.Duration
}

// StopWaitHint is the wait hint while stopping: the work in hand finishes
// the chunk it is on and records it, which can take a while on a slow
// share. It matches TimeoutStopSec of the systemd unit.
const StopWaitHint = 120 * time.Second

// StartWaitHint is the wait hint while starting: opening the database and
// finishing executions a crash interrupted.
const StartWaitHint = 60 * time.Second

// RunFunc is the daemon: it runs until ctx is cancelled, calls ready once
// its schedules are in place, and reloads its configuration on each value
// from reload. It returns nil after a requested stop.
type RunFunc func(ctx context.Context, reload <-chan struct{}, ready func()) error

// Loop runs the daemon under the service control manager: it reports
// StartPending, then Running once the daemon is ready, answers requests,
// and reports StopPending and Stopped on Stop or Shutdown. A Reload is
// handed to the daemon without waiting for it; several arriving while one
// is in progress make one more reload. Loop returns when the daemon has
// returned, with the daemon's error: an error when nobody asked the
// service to stop is a failure, which the manager's recovery actions
// answer by restarting the service.
func Loop(requests <-chan Request, report func(Status), run RunFunc) error {
	report(Status{State: StartPending, WaitHint: StartWaitHint})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reload := make(chan struct{}, 1)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var once sync.Once
		done <- run(ctx, reload, func() { once.Do(func() { close(ready) }) })
	}()
	current := Status{State: StartPending, WaitHint: StartWaitHint}
	set := func(s Status) { current = s; report(s) }
	for {
		select {
		case <-ready:
			ready = nil
			if current.State == StartPending {
				set(Status{State: Running, Accepting: true})
			}
		case err := <-done:
			report(Status{State: Stopped})
			return err
		case r := <-requests:
			switch r {
			case Interrogate:
				report(current)
			case Stop, Shutdown:
				if current.State != StopPending {
					set(Status{State: StopPending, WaitHint: StopWaitHint})
					cancel()
				}
			case Reload:
				if current.State != Running {
					break
				}
				select {
				case reload <- struct{}{}:
				default: // a reload is already waiting
				}
			}
		}
	}
}
