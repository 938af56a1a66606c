//go:build windows

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/windows/svc/debug"
	"golang.org/x/sys/windows/svc/eventlog"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler/winsvc"
)

// serviceName is the Windows service and its Event Log source.
const serviceName = "retentiond"

// dataDir is %ProgramData%\retentiond: the service's configuration,
// database and keys.
func dataDir() string {
	pd := os.Getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	return filepath.Join(pd, "retentiond")
}

// defaultConfigFile is the configuration used without --config:
// retentiond.yaml in the current directory when there is one (a demo
// sandbox), otherwise the service's, %ProgramData%\retentiond\retentiond.yaml
// (configs.DefaultFile, which the mails' commands compare with).
func defaultConfigFile() string { return configs.DefaultFile() }

// runAsWindowsService runs `run` as the service when the service control
// manager started the process. Errors go to the Event Log.
func (a *app) runAsWindowsService() (bool, error) {
	isService, err := winsvc.IsService()
	if err != nil || !isService {
		return false, err
	}
	elog, err := eventlog.Open(serviceName)
	if err != nil {
		return true, fmt.Errorf("open the event log: %w", err)
	}
	defer elog.Close()
	return true, a.runService(elog, false)
}

// runService runs the daemon under winsvc.Run, logging to w.
func (a *app) runService(w winsvc.EventWriter, console bool) error {
	err := winsvc.Run(serviceName, console, func(ctx context.Context, reload <-chan struct{}, ready func()) error {
		cfg, err := a.loadConfig()
		if err != nil {
			return fmt.Errorf("load configuration: %w", err)
		}
		log, err := daemonLogger(cfg.Log, winsvc.NewEventCore(w))
		if err != nil {
			return err
		}
		defer log.Sync()
		return a.serve(ctx, cfg, log, serveHooks{reload: reload, ready: ready})
	})
	if err != nil {
		w.Error(winsvc.EventError, "retentiond stopped: "+err.Error())
	}
	return err
}

func (a *app) serviceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Install and control the Windows service",
		Long: `retentiond runs as the Windows service "retentiond": started at boot
(delayed, after the network), restarted by the service control manager after
1 s, 10 s and 60 s when it fails, logging to the Event Log (source
retentiond: start, stop, run summaries, warnings and errors). Its
configuration, database and keys are in %ProgramData%\retentiond, readable
only to SYSTEM, Administrators and the service. Run these as Administrator.`,
	}
	cmd.AddCommand(a.serviceInstallCmd(), a.serviceSimpleCmd("uninstall", "Stop and remove the service (the data directory and its ledger stay)", func() error {
		return winsvc.UninstallService(serviceName, 3*time.Minute)
	}), a.serviceSimpleCmd("start", "Start the service and wait until it runs", func() error {
		return winsvc.StartService(serviceName, 2*time.Minute)
	}), a.serviceSimpleCmd("stop", "Stop the service: the work in hand finishes the chunk it is on first", func() error {
		return winsvc.StopService(serviceName, 3*time.Minute)
	}), a.serviceSimpleCmd("reload", "Reload the configuration; a bad one is refused and the Event Log says why", func() error {
		return winsvc.ReloadService(serviceName)
	}), a.serviceStatusCmd(), a.serviceDebugCmd())
	return cmd
}

func (a *app) serviceSimpleCmd(use, short string, fn func() error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := fn(); err != nil {
				return err
			}
			a.printf("service %s: %s done\n", serviceName, use)
			return nil
		}}
}

func (a *app) serviceInstallCmd() *cobra.Command {
	var account, passwordFile, start string
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the service (it checks the configuration first)",
		Long: `Install registers retentiond as a Windows service that runs
'retentiond run --config CONFIG' as the given account, with recovery actions
(restart after 1 s, 10 s, 60 s) and an Event Log source. The configuration
must load: a service that could not start is not installed. The data
directory is given an access list for SYSTEM, Administrators and the
service only.

The default account, NT AUTHORITY\NetworkService, reaches file servers as
the computer's account. To use a group managed service account, give
--account DOMAIN\name$ (no password); for an ordinary account, give
--password-file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfgFile, err := filepath.Abs(a.configFile)
			if err != nil {
				return err
			}
			a.configFile = cfgFile
			if _, err := a.loadConfig(); err != nil {
				return fmt.Errorf("the service would not start, so it is not installed: %w", err)
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find this program: %w", err)
			}
			var password string
			if passwordFile != "" {
				b, err := os.ReadFile(passwordFile)
				if err != nil {
					return fmt.Errorf("read password file: %w", err)
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			o := winsvc.Install{
				Name: serviceName, DisplayName: "retentiond",
				Description: "Enforces data-retention rules with approvals and a signed ledger.",
				Exe:         exe, Args: []string{"run", "--config", cfgFile},
				Account: account, Password: password, Start: start,
				DataDir: filepath.Dir(cfgFile),
			}
			if err := winsvc.InstallService(o); err != nil {
				return err
			}
			a.printf("Installed service %s (%s start, account %s), running %s run --config %s.\nStart it with: retentiond service start\n",
				serviceName, start, orDefault(account, winsvc.DefaultAccount), exe, cfgFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&account, "account", "", `account the service runs as (default NT AUTHORITY\NetworkService)`)
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "file holding the account's password (not for built-in or managed service accounts)")
	cmd.Flags().StringVar(&start, "start", "delayed", "start type: delayed (automatic, after the network), auto or manual")
	return cmd
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (a *app) serviceStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use: "status", Short: "Show the service's state, start type, account and recovery actions", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			info, err := winsvc.QueryService(serviceName)
			if errors.Is(err, winsvc.ErrNotInstalled) {
				a.printf("service %s: not installed\n", serviceName)
				return err
			}
			if err != nil {
				return err
			}
			a.printf("service %s: %s", serviceName, info.State)
			if info.PID != 0 {
				a.printf(" (pid %d)", info.PID)
			}
			if info.State == "stopped" && info.ExitCode != 0 {
				a.printf(" (failed with exit code %d: see the Event Log)", info.ExitCode)
			}
			a.printf("\nstart:    %s\naccount:  %s\ncommand:  %s\nrecovery:", info.Start, info.Account, info.Command)
			for _, r := range info.Recovery {
				a.printf(" restart after %v;", r.Delay)
			}
			a.printf(" failures counted over %v\n", info.ResetPeriod)
			return nil
		},
	}
}

func (a *app) serviceDebugCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "debug",
		Short: "Run the service in this console, logging here; Ctrl+C stops it as the service manager would",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return a.runService(debug.New(serviceName), true)
		},
	}
}
