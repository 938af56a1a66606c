package main

import (
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
)

func (a *app) runCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: plan each source on its schedule and execute approved batches",
		Long: `Run is the service. It first finishes executions a crash interrupted, then
plans each source on its cron schedule (sources[].schedule, in the configured
time zone) and executes approved batches on execute.schedule. Runs of the same
job never overlap. SIGINT or SIGTERM stops it cleanly: running work finishes
the chunk it is on and records it before the process exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			log, err := daemonLogger(cfg.Log)
			if err != nil {
				return err
			}
			defer log.Sync()
			host, _ := os.Hostname()
			p, err := scheduler.New(ctx, cfg, scheduler.Deps{Clock: a.clock, Log: log, Host: host, Software: software()})
			if err != nil {
				return err
			}
			defer p.Close()
			d := &scheduler.Daemon{P: p}
			return d.Run(ctx)
		},
	}
}

// daemonLogger builds the service's logger from the configuration.
func daemonLogger(c configs.Log) (*zap.Logger, error) {
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
	l, err := zc.Build()
	if err != nil {
		return nil, err
	}
	return l.Named("retentiond"), nil
}
