package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store"
)

// Daemon runs the pipeline on the configured schedules: each source's plan
// on its own schedule and the execution of approved batches on
// execute.schedule. Runs of the same job never overlap.
type Daemon struct {
	P *Pipeline
	// Ready, when set, is called once the schedules are in place (systemd
	// notification); Stopping when shutdown begins.
	Ready, Stopping func()

	// Reload, when set, delivers requests to reload the configuration
	// (SIGHUP); Load reads and validates it. A configuration that does not
	// load, or that changes what a running service cannot (database, keys,
	// ledger origin), is refused and the old one stays in force. A good
	// one takes over once the jobs running at the time have finished.
	Reload <-chan struct{}
	Load   func() (*configs.Config, error)
	// Reloaded, when set, is told the outcome of each reload request.
	Reloaded func(error)

	// Notifier, when set, is told of failures and looks for what to tell
	// people after every plan and execution.
	Notifier Notifier
}

// Notifier tells people what needs them (see scheduler/notify). Its
// errors are logged; they never stop planning or execution.
type Notifier interface {
	// Pass tells what the store shows that has not been told yet.
	Pass(ctx context.Context) error
	// SourceFailed tells operators that a source could not be planned.
	SourceFailed(ctx context.Context, source string, err error) error
	// BatchFailed tells operators that a batch's execution stopped.
	BatchFailed(ctx context.Context, batch int64, err error) error
}

// Run reconciles interrupted executions, then runs the schedules until ctx
// is cancelled. On cancellation it stops starting jobs, lets running jobs
// finish their current chunk (each records what it did before returning)
// and returns nil.
func (d *Daemon) Run(ctx context.Context) error {
	p := d.P
	log := p.Log.Named("daemon")
	if err := p.Reconcile(ctx); err != nil {
		return fmt.Errorf("reconcile interrupted executions: %w", err)
	}
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	var wg sync.WaitGroup
	c, err := d.schedule(jobCtx, &wg, log)
	if err != nil {
		return err
	}
	c.Start()
	log.Info("running", zap.String("execute_schedule", p.Config.ExecuteSchedule), zap.String("timezone", p.Config.Location.String()))
	if d.Ready != nil {
		d.Ready()
	}
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			if d.Stopping != nil {
				d.Stopping()
			}
			stopped := c.Stop()
			cancelJobs()
			<-stopped.Done()
			wg.Wait()
			log.Info("stopped")
			return nil
		case <-d.Reload:
			next, err := d.reload(jobCtx, c, &wg, log)
			if err != nil {
				// One line however many problems the file has: the
				// operator edits the file and reloads again.
				log.Error("configuration not reloaded; the one in force stays", zap.String("error", OneLine(err)))
			} else {
				c = next
				log.Info("configuration reloaded", zap.String("execute_schedule", p.Config.ExecuteSchedule))
			}
			if d.Reloaded != nil {
				d.Reloaded(err)
			}
		}
	}
}

// reload loads the configuration and, if it is good, waits for the running
// jobs, puts it in force and schedules its jobs.
func (d *Daemon) reload(jobCtx context.Context, c *cron.Cron, wg *sync.WaitGroup, log *zap.Logger) (*cron.Cron, error) {
	if d.Load == nil {
		return nil, errors.New("this service cannot reload its configuration")
	}
	cfg, err := d.Load()
	if err != nil {
		return nil, err
	}
	old := d.P.Config
	for _, f := range []struct{ what, old, new string }{
		{"database", old.Database, cfg.Database}, {"keys.signing", old.Keys.Signing, cfg.Keys.Signing},
		{"keys.references", old.Keys.References, cfg.Keys.References}, {"ledger.origin", old.Origin, cfg.Origin},
	} {
		if f.old != f.new {
			return nil, fmt.Errorf("%s changed from %q to %q: restart the service to change it", f.what, f.old, f.new)
		}
	}
	<-c.Stop().Done() // the running jobs finish under the old configuration
	d.P.SetConfig(cfg)
	next, err := d.schedule(jobCtx, wg, log)
	if err != nil {
		// A configuration that loaded schedules; this cannot happen, but
		// the service must not stop scheduling.
		d.P.SetConfig(old)
		next, _ = d.schedule(jobCtx, wg, log)
		next.Start()
		return nil, err
	}
	next.Start()
	return next, nil
}

// schedule builds the cron jobs of the configuration in force.
func (d *Daemon) schedule(jobCtx context.Context, wg *sync.WaitGroup, log *zap.Logger) (*cron.Cron, error) {
	p := d.P
	c := cron.New(cron.WithLocation(p.Config.Location), cron.WithChain(cron.SkipIfStillRunning(cronLogger{log})))
	job := func(name string, fn func(context.Context) error) cron.Job {
		return cron.FuncJob(func() {
			wg.Add(1)
			defer wg.Done()
			if jobCtx.Err() != nil {
				return
			}
			if err := fn(jobCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("job failed", zap.String("job", name), zap.Error(err))
			}
		})
	}
	for _, src := range p.Config.Sources {
		if src.Schedule == "" {
			continue
		}
		name := src.Name
		if _, err := c.AddJob(src.Schedule, job("plan:"+name, func(ctx context.Context) error {
			res, err := p.Plan(ctx, PlanOptions{Source: name, Planner: "retentiond"})
			if res != nil && res.Plan != nil {
				log.Info("plan finished", planSummary(name, res)...)
			}
			if res != nil {
				for _, imp := range res.Imports {
					if imp.Status == store.ImportRefused {
						log.Warn("export refused; the previous facts stay in force", zap.String("source", imp.Source), zap.String("file", imp.File), zap.String("why", imp.Why))
					}
				}
			}
			overdue, oerr := p.OverdueInstructions(ctx)
			for _, in := range overdue {
				log.Warn("deletion instruction overdue", zap.String("instruction", in.ID), zap.String("system", in.System), zap.String("confirm_by", in.Deadline))
			}
			_, aerr := p.Anchor(ctx)
			switch {
			case err != nil && !errors.Is(err, context.Canceled):
				d.tell(ctx, log, func(n Notifier) error { return n.SourceFailed(ctx, name, err) })
			case res != nil && res.Incomplete != nil:
				d.tell(ctx, log, func(n Notifier) error { return n.SourceFailed(ctx, name, res.Incomplete) })
			}
			d.tell(ctx, log, func(n Notifier) error { return n.Pass(ctx) })
			return errors.Join(err, oerr, aerr)
		})); err != nil {
			return nil, fmt.Errorf("schedule source %q: %w", name, err)
		}
		log.Info("scheduled plan", zap.String("source", name), zap.String("schedule", src.Schedule))
	}
	if _, err := c.AddJob(p.Config.ExecuteSchedule, job("execute", func(ctx context.Context) error {
		results, err := p.Execute(ctx, 0, "retentiond")
		for _, r := range results {
			f := []zap.Field{zap.Int64("batch", r.Batch), zap.String("method", r.Method), zap.Int64("done", r.Deleted),
				zap.Int64("skipped", r.Skipped), zap.Int64("failed", r.Failed)}
			if r.Err != nil {
				log.Error("batch failed", append(f, zap.Error(r.Err))...)
				d.tell(ctx, log, func(n Notifier) error { return n.BatchFailed(ctx, r.Batch, r.Err) })
				continue
			}
			log.Info("batch executed", f...)
		}
		if len(results) > 0 {
			_, aerr := p.Anchor(ctx)
			err = errors.Join(err, aerr)
		}
		// Also without results: reminders fall due while nothing runs.
		d.tell(ctx, log, func(n Notifier) error { return n.Pass(ctx) })
		return err
	})); err != nil {
		return nil, fmt.Errorf("schedule execution: %w", err)
	}
	if len(p.Config.Anchors) > 0 {
		if _, err := c.AddJob(p.Config.AnchorSchedule, job("anchor", func(ctx context.Context) error {
			_, err := p.Anchor(ctx)
			return err
		})); err != nil {
			return nil, fmt.Errorf("schedule anchoring: %w", err)
		}
	}
	return c, nil
}

// tell runs fn with the notifier, if there is one. A notification that
// fails is logged (by the notifier, per message) and tried again at the
// next run; it never fails the job.
func (d *Daemon) tell(ctx context.Context, log *zap.Logger, fn func(Notifier) error) {
	if d.Notifier == nil || ctx.Err() != nil {
		return
	}
	if err := fn(d.Notifier); err != nil {
		log.Warn("notifications incomplete", zap.Error(err))
	}
}

// planSummary is what the log (and the Windows Event Log) says about a
// finished plan: items per verdict, batches cut and whether the listing
// was complete.
func planSummary(source string, res *PlanResult) []zap.Field {
	verdicts := map[string]int64{}
	for _, t := range res.Totals {
		verdicts[t.Verdict] += t.Items
	}
	f := []zap.Field{zap.String("source", source), zap.Int64("plan", res.Plan.ID)}
	for _, v := range []string{"due", "archive", "review", "held", "keep"} {
		if n, ok := verdicts[v]; ok {
			f = append(f, zap.Int64(v, n))
		}
	}
	return append(f, zap.Int("batches", len(res.Batches)), zap.Bool("complete", res.Incomplete == nil))
}

// cronLogger adapts zap to cron's logger.
type cronLogger struct{ l *zap.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	c.l.Debug(msg, zap.Any("details", kv))
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, zap.Error(err), zap.Any("details", kv))
}

// OneLine is err's message on one line: the problems of a configuration
// that does not load (one per line, configs.LoadError) joined with "; ".
func OneLine(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return l == "" }), "; ")
}
