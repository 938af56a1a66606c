package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/monitor"
	"github.com/retentiond/retentiond/scheduler/sdnotify"
)

func (a *app) runCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: plan each source on its schedule and execute approved batches",
		Long: `Run is the service. It first finishes executions a crash interrupted, then
plans each source on its cron schedule (sources[].schedule, in the configured
time zone) and executes approved batches on execute.schedule. With
metrics.listen it serves Prometheus metrics on /metrics and health on
/healthz and /readyz. Runs of the same job never overlap.

SIGHUP (systemctl reload; on Windows, retentiond service reload) reloads the
configuration: one that does not load is refused and the one in force stays
(the log says why). SIGINT or SIGTERM (a service stop) stops it cleanly:
running work finishes the chunk it is on and records it before the process
exits. Started by the Windows service control manager, it runs as the
Windows service (see retentiond service).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if handled, err := a.runAsWindowsService(); handled {
				return err
			}
			ctx := cmd.Context()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			log, err := daemonLogger(cfg.Log, a.logCores...)
			if err != nil {
				return err
			}
			defer log.Sync()
			// SIGHUP reloads the configuration.
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			reload := make(chan struct{})
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-hup:
						sdNotify(log, "RELOADING=1")
						select {
						case reload <- struct{}{}:
						case <-ctx.Done():
							return
						}
					}
				}
			}()
			return a.serve(ctx, cfg, log, serveHooks{
				reload: reload,
				ready:  func() { sdNotify(log, sdnotify.Ready+"\nSTATUS=planning and executing on schedule") },
				reloaded: func(err error) {
					if err != nil {
						// One line: a line break would end the STATUS assignment.
						sdNotify(log, "READY=1\nSTATUS=configuration not reloaded: "+scheduler.OneLine(err))
						return
					}
					sdNotify(log, "READY=1\nSTATUS=configuration reloaded")
				},
				stopping: func() { sdNotify(log, sdnotify.Stopping) },
			})
		},
	}
}

// serveHooks connect the daemon to what runs it: systemd, the Windows
// service control manager, or a console.
type serveHooks struct {
	reload          <-chan struct{} // requests to reload the configuration
	ready, stopping func()
	reloaded        func(error) // the outcome of each reload
}

// serve runs the daemon with cfg until ctx is cancelled: it opens the
// pipeline, binds the metrics address, and plans and executes on schedule.
func (a *app) serve(ctx context.Context, cfg *configs.Config, log *zap.Logger, h serveHooks) error {
	if err := a.checkOwner(cfg.Database); err != nil {
		return err
	}
	host, _ := os.Hostname()
	p, err := scheduler.New(ctx, cfg, scheduler.Deps{Clock: a.clock, Log: log, Host: host, Software: software()})
	if err != nil {
		return err
	}
	defer p.Close()
	var mon *monitor.Server
	if cfg.MetricsListen != "" {
		// Bound before anything runs: a port already taken stops the
		// service here, with nothing done.
		mon = monitor.New(p, log.Named("monitor"))
		mctx, stop := context.WithCancel(ctx)
		addr, closed, err := mon.Listen(mctx, cfg.MetricsListen)
		if err != nil {
			stop()
			return err
		}
		defer func() { stop(); <-closed }()
		log.Info("serving metrics and health", zap.String("address", addr.String()))
		a.metricsAddr = addr.String()
	}
	web, err := a.startConsole(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer web.stop()
	d := &scheduler.Daemon{P: p,
		Ready: func() {
			if mon != nil {
				mon.SetReady(true)
			}
			if h.ready != nil {
				h.ready()
			}
		},
		Stopping: func() {
			if mon != nil {
				mon.SetReady(false)
			}
			if h.stopping != nil {
				h.stopping()
			}
		},
		Reload: h.reload, Load: a.loadConfig, Reloaded: web.reloaded(p, h.reloaded),
		// Told nothing until the configuration has a notify section; a
		// reload can add one.
		Notifier: a.notifier(p, log),
	}
	interval, err := sdnotify.WatchdogInterval()
	if err != nil {
		log.Warn("systemd watchdog ignored", zap.Error(err))
	}
	if interval > 0 {
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		go watchdog(wctx, p, interval, log)
	}
	return d.Run(ctx)
}

// sdNotify tells systemd about the service's state, when systemd started it.
func sdNotify(log *zap.Logger, state string) {
	if _, err := sdnotify.Notify(state); err != nil {
		log.Warn("systemd notification failed", zap.Error(err))
	}
}

// watchdog tells systemd the service is alive twice per watchdog interval,
// as long as its database answers: a service whose store hangs is
// restarted by systemd rather than left to look healthy.
func watchdog(ctx context.Context, p *scheduler.Pipeline, interval time.Duration, log *zap.Logger) {
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := p.Store.TreeSize(ctx); err != nil {
				log.Error("the database does not answer; not telling systemd the service is alive", zap.Error(err))
				continue
			}
			sdNotify(log, sdnotify.Watchdog)
		}
	}
}

// daemonLogger builds the service's logger from the configuration. Extra
// cores (the Windows Event Log) receive the same entries.
func daemonLogger(c configs.Log, extra ...zapcore.Core) (*zap.Logger, error) {
	var zc zap.Config
	if c.Format == "console" {
		zc = zap.NewDevelopmentConfig()
	} else {
		zc = zap.NewProductionConfig()
		zc.EncoderConfig.TimeKey = "time"
		zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	}
	lvl, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, err
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.OutputPaths = []string{"stderr"}
	// No stack traces below DPanic. zap's production configuration adds one
	// to every Error (its development one to every Warn): the stack of the
	// logging call, which says nothing the message does not, and turns a
	// refused reload or a failed job into twenty lines of Go in the journal
	// or the Event Log. An operator reads one line that says what failed
	// and why; a bug (DPanic, Panic, Fatal) still gets its trace.
	zc.DisableStacktrace = true
	l, err := zc.Build(zap.AddStacktrace(zapcore.DPanicLevel))
	if err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		l = l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
			return zapcore.NewTee(append([]zapcore.Core{c}, extra...)...)
		}))
	}
	return l.Named("retentiond"), nil
}
