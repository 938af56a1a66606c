//go:build windows

package winsvc

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// Install describes the service to install.
type Install struct {
	Name, DisplayName, Description string
	// Exe is the binary's full path; Args its arguments when the manager
	// starts it (run --config …).
	Exe  string
	Args []string
	// Account runs the service (NT AUTHORITY\NetworkService when empty;
	// DOMAIN\name$ for a group managed service account, which has no
	// password). Password is the account's, when it has one.
	Account, Password string
	// Start is auto, delayed (automatic, after the other automatic
	// services: the network and the file servers) or manual.
	Start string
	// DataDir holds the configuration, database and keys. It is made
	// readable and writable only to SYSTEM, Administrators and the
	// service's own SID.
	DataDir string
}

// Recovery is what the manager does when the service fails: restart it
// after 1 s, then 10 s, then every 60 s, counting failures over a day.
var Recovery = []mgr.RecoveryAction{
	{Type: mgr.ServiceRestart, Delay: time.Second},
	{Type: mgr.ServiceRestart, Delay: 10 * time.Second},
	{Type: mgr.ServiceRestart, Delay: 60 * time.Second},
}

// DefaultAccount runs the service when no account is given: it has no
// rights on the machine beyond those granted to it, and reaches file
// servers as the computer's domain account.
const DefaultAccount = `NT AUTHORITY\NetworkService`

// InstallService creates the service, its recovery actions and its Event
// Log source, and secures the data directory. A service of that name
// already installed is an error.
func InstallService(o Install) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service control manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(o.Name); err == nil {
		s.Close()
		return fmt.Errorf("service %s is already installed: uninstall it first (retentiond service uninstall)", o.Name)
	}
	cfg := mgr.Config{
		DisplayName:      o.DisplayName,
		Description:      o.Description,
		StartType:        mgr.StartAutomatic,
		ErrorControl:     mgr.ErrorNormal,
		ServiceStartName: o.Account,
		Password:         o.Password,
		SidType:          windows.SERVICE_SID_TYPE_UNRESTRICTED,
	}
	if cfg.ServiceStartName == "" {
		cfg.ServiceStartName = DefaultAccount
	}
	switch o.Start {
	case "", "delayed":
		cfg.DelayedAutoStart = true
	case "auto":
	case "manual":
		cfg.StartType = mgr.StartManual
	default:
		return fmt.Errorf("start type %q: use auto, delayed or manual", o.Start)
	}
	s, err := m.CreateService(o.Name, o.Exe, cfg, o.Args...)
	if err != nil {
		return fmt.Errorf("create service %s: %w", o.Name, err)
	}
	defer s.Close()
	undo := func(cause error) error {
		s.Delete()
		return cause
	}
	if err := s.SetRecoveryActions(Recovery, uint32((24 * time.Hour).Seconds())); err != nil {
		return undo(fmt.Errorf("set recovery actions: %w", err))
	}
	// A daemon that returns an error exits cleanly with exit code 1; that
	// is a failure too.
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return undo(fmt.Errorf("set recovery actions: %w", err))
	}
	if err := eventlog.InstallAsEventCreate(o.Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil && !strings.Contains(err.Error(), "already exists") {
		return undo(fmt.Errorf("register the event log source %s: %w", o.Name, err))
	}
	if err := SecureDir(o.DataDir, o.Name); err != nil {
		eventlog.Remove(o.Name)
		return undo(err)
	}
	return nil
}

// SecureDir creates dir if needed and gives it a protected access list:
// full control to SYSTEM, Administrators and the service's SID (NT
// SERVICE\name), nothing to anyone else. Files created inside inherit it:
// the ledger's signing key and the database are not readable to users.
func SecureDir(dir, service string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	sid, _, _, err := windows.LookupSID("", `NT SERVICE\`+service)
	if err != nil {
		return fmt.Errorf("look up the service's SID: %w", err)
	}
	sd, err := windows.SecurityDescriptorFromString(fmt.Sprintf("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;%s)", sid))
	if err != nil {
		return fmt.Errorf("build the data directory's access list: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("build the data directory's access list: %w", err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("secure data directory %s: %w", dir, err)
	}
	return nil
}

// UninstallService stops the service if it runs, deletes it and its Event
// Log source. The data directory stays: it holds the ledger.
func UninstallService(name string, wait time.Duration) error {
	m, s, err := open(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		if err := stop(s, wait); err != nil {
			return err
		}
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("delete service %s: %w", name, err)
	}
	if err := eventlog.Remove(name); err != nil {
		return fmt.Errorf("remove the event log source %s: %w", name, err)
	}
	return nil
}

// ErrStoppedAtStart is returned by StartService when the service stopped
// again before it was running: the Event Log says why.
var ErrStoppedAtStart = errors.New("the service stopped while starting; the Event Log (source retentiond) says why")

// StartService starts the service and waits until it runs.
func StartService(name string, wait time.Duration) error {
	m, s, err := open(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := s.Start(); err != nil {
		return fmt.Errorf("start service %s: %w", name, err)
	}
	deadline := time.Now().Add(wait)
	for {
		st, err := s.Query()
		if err != nil {
			return fmt.Errorf("query service %s: %w", name, err)
		}
		switch st.State {
		case svc.Running:
			return nil
		case svc.Stopped:
			return fmt.Errorf("%w (exit code %d)", ErrStoppedAtStart, st.ServiceSpecificExitCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("service %s is still starting after %v", name, wait)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// StopService stops the service and waits until it has stopped.
func StopService(name string, wait time.Duration) error {
	m, s, err := open(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	return stop(s, wait)
}

func stop(s *mgr.Service, wait time.Duration) error {
	if _, err := s.Control(svc.Stop); err != nil {
		return fmt.Errorf("stop service %s: %w", s.Name, err)
	}
	deadline := time.Now().Add(wait)
	for {
		st, err := s.Query()
		if err != nil {
			return fmt.Errorf("query service %s: %w", s.Name, err)
		}
		if st.State == svc.Stopped {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("service %s is still stopping after %v: it finishes the chunk it is on first", s.Name, wait)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// ReloadService asks the running service to reload its configuration
// (SERVICE_CONTROL_PARAMCHANGE). The outcome is in the Event Log.
func ReloadService(name string) error {
	m, s, err := open(name)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if _, err := s.Control(svc.ParamChange); err != nil {
		return fmt.Errorf("ask service %s to reload: %w", name, err)
	}
	return nil
}

// Info is what `retentiond service status` shows.
type Info struct {
	State       string
	PID         uint32
	ExitCode    uint32
	Start       string
	Account     string
	Command     string
	Recovery    []mgr.RecoveryAction
	ResetPeriod time.Duration
}

// QueryService describes the installed service.
func QueryService(name string) (*Info, error) {
	m, s, err := open(name)
	if err != nil {
		return nil, err
	}
	defer m.Disconnect()
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return nil, fmt.Errorf("query service %s: %w", name, err)
	}
	c, err := s.Config()
	if err != nil {
		return nil, fmt.Errorf("read the configuration of service %s: %w", name, err)
	}
	info := &Info{PID: st.ProcessId, ExitCode: st.ServiceSpecificExitCode, Account: c.ServiceStartName, Command: c.BinaryPathName}
	info.State = map[svc.State]string{svc.Stopped: "stopped", svc.StartPending: "starting", svc.StopPending: "stopping",
		svc.Running: "running", svc.ContinuePending: "continuing", svc.PausePending: "pausing", svc.Paused: "paused"}[st.State]
	switch {
	case c.StartType == mgr.StartAutomatic && c.DelayedAutoStart:
		info.Start = "automatic (delayed)"
	case c.StartType == mgr.StartAutomatic:
		info.Start = "automatic"
	case c.StartType == mgr.StartManual:
		info.Start = "manual"
	case c.StartType == mgr.StartDisabled:
		info.Start = "disabled"
	}
	if info.Recovery, err = s.RecoveryActions(); err != nil {
		return nil, fmt.Errorf("read the recovery actions of service %s: %w", name, err)
	}
	reset, err := s.ResetPeriod()
	if err != nil {
		return nil, fmt.Errorf("read the recovery actions of service %s: %w", name, err)
	}
	info.ResetPeriod = time.Duration(reset) * time.Second
	return info, nil
}

// ErrNotInstalled is returned when the service is not installed.
var ErrNotInstalled = errors.New("the service is not installed (retentiond service install)")

func open(name string) (*mgr.Mgr, *mgr.Service, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the service control manager (run as Administrator): %w", err)
	}
	s, err := m.OpenService(name)
	if err != nil {
		m.Disconnect()
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return nil, nil, fmt.Errorf("%s: %w", name, ErrNotInstalled)
		}
		return nil, nil, fmt.Errorf("open service %s: %w", name, err)
	}
	return m, s, nil
}
