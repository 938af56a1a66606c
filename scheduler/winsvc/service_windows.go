//go:build windows

package winsvc

import (
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/debug"
)

// IsService reports whether the service control manager started this
// process.
func IsService() (bool, error) { return svc.IsWindowsService() }

// Run runs the daemon as the service name until the manager stops it. With
// console set it runs in the console instead (svc/debug), where Ctrl+C is
// a Stop. It returns the daemon's error; the manager then records the
// service as failed (exit code 1), which the recovery actions answer.
func Run(name string, console bool, run RunFunc) error {
	h := &handler{run: run}
	var err error
	if console {
		err = debug.Run(name, h)
	} else {
		err = svc.Run(name, h)
	}
	if err != nil {
		return err
	}
	return h.err
}

// accepted are the requests the service takes while it runs.
const accepted = svc.AcceptStop | svc.AcceptShutdown | svc.AcceptParamChange

type handler struct {
	run RunFunc
	err error
}

// Execute translates between the manager and Loop. The manager must never
// wait on the service: requests are handed to Loop, which answers at once.
func (h *handler) Execute(_ []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	requests := make(chan Request)
	done := make(chan struct{})
	go func() {
		for {
			var c svc.ChangeRequest
			select {
			case c = <-r:
			case <-done:
				return
			}
			var req Request
			switch c.Cmd {
			case svc.Interrogate:
				req = Interrogate
			case svc.Stop:
				req = Stop
			case svc.Shutdown:
				req = Shutdown
			case svc.ParamChange:
				req = Reload
			default:
				continue
			}
			select {
			case requests <- req:
			case <-done:
				return
			}
		}
	}()
	var checkpoint uint32
	err := Loop(requests, func(st Status) {
		if st.State == Stopped {
			return // svc reports it, with the exit code, when Execute returns
		}
		out := svc.Status{WaitHint: uint32(st.WaitHint.Milliseconds())}
		switch st.State {
		case StartPending:
			out.State = svc.StartPending
		case Running:
			out.State = svc.Running
		case StopPending:
			out.State = svc.StopPending
		}
		if st.Accepting {
			out.Accepts = accepted
		}
		if st.State != Running {
			checkpoint++
			out.CheckPoint = checkpoint
		}
		s <- out
	}, h.run)
	close(done)
	if err != nil {
		h.err = err
		return true, 1
	}
	return false, 0
}
