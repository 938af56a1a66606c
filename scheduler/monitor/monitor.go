// Package monitor serves what operators watch: Prometheus metrics
// (/metrics) read from the store at each scrape, and health (/healthz: the
// process answers; /readyz: the daemon has started and its database
// answers).
package monitor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

// Server serves the metrics and health of one pipeline.
type Server struct {
	p     *scheduler.Pipeline
	log   *zap.Logger
	ready atomic.Bool
	reg   *prometheus.Registry

	mu      sync.Mutex
	overdue map[overdueKey]map[string]int64 // rule -> items, per plan and day
}

type overdueKey struct {
	plan int64
	day  string
}

// New returns a server for p. It is not ready until SetReady(true).
func New(p *scheduler.Pipeline, log *zap.Logger) *Server {
	s := &Server{p: p, log: log, reg: prometheus.NewRegistry(), overdue: map[overdueKey]map[string]int64{}}
	s.reg.MustRegister(s)
	return s
}

// SetReady says whether the daemon is running its schedules.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Handler serves /metrics, /healthz and /readyz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: zap.NewStdLog(s.log), ErrorHandling: promhttp.HTTPErrorOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready: the daemon has not started its schedules", http.StatusServiceUnavailable)
			return
		}
		if _, err := s.p.Store.TreeSize(r.Context()); err != nil {
			http.Error(w, "not ready: the database does not answer", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// Listen binds addr, so that a port already taken is an error before the
// daemon starts, and serves until ctx ends. The returned channel is closed
// once the server has shut down and released the port.
func (s *Server) Listen(ctx context.Context, addr string) (net.Addr, <-chan struct{}, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: listen on %s: %w (is another process using the port? set metrics.listen)", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics server stopped", zap.Error(err))
		}
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	return l.Addr(), closed, nil
}

var (
	descItems = prometheus.NewDesc("retentiond_items", "Items of the latest plan of each source, by rule and verdict (due, review, held, archive, keep).",
		[]string{"source", "rule", "verdict"}, nil)
	descOverdue = prometheus.NewDesc("retentiond_items_overdue", "Items due before today and still there at the latest plan: due but not deleted.",
		[]string{"source", "rule"}, nil)
	descDeleted = prometheus.NewDesc("retentiond_deleted_total", "Items deleted (or archived) by executed batches.", []string{"source", "rule"}, nil)
	descFailed  = prometheus.NewDesc("retentiond_failed_total", "Items whose deletion failed.", []string{"source", "rule"}, nil)
	descWaiting = prometheus.NewDesc("retentiond_batches_awaiting_approval", "Batches waiting for approval or for an operator's confirmation.",
		[]string{"source", "rule"}, nil)
	descLastPlan = prometheus.NewDesc("retentiond_last_plan_timestamp_seconds", "When the latest successful plan of the source was made.",
		[]string{"source"}, nil)
	descLedger     = prometheus.NewDesc("retentiond_ledger_entries", "Entries in the ledger.", nil, nil)
	descCheckpoint = prometheus.NewDesc("retentiond_last_checkpoint_age_seconds", "Seconds since the latest signed checkpoint.", nil, nil)
	descInstr      = prometheus.NewDesc("retentiond_instructions_overdue", "Deletion instructions not confirmed by their deadline.", nil, nil)
	descNotices    = prometheus.NewDesc("retentiond_owner_notices", "Items of rules with owner_notice whose owners were told (state sent) or are still to be told (state unsent).",
		[]string{"source", "rule", "state"}, nil)
	descUp = prometheus.NewDesc("retentiond_store_up", "1 if the database answered this scrape.", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *Server) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descItems, descOverdue, descDeleted, descFailed, descWaiting, descLastPlan, descLedger, descCheckpoint, descInstr, descNotices, descUp} {
		ch <- d
	}
}

// Collect implements prometheus.Collector, reading the store.
func (s *Server) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.collect(ctx, ch); err != nil {
		s.log.Warn("metrics: the database did not answer", zap.Error(err))
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
}

func (s *Server) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	st := s.p.Store
	now := s.p.Clock.Now()
	// The daemon may replace the configuration while this scrape runs.
	today := s.p.CurrentConfig().Policies.Today(now).String()
	plans, err := st.LatestTodayPlans(ctx)
	if err != nil {
		return err
	}
	for _, pl := range plans {
		ch <- prometheus.MustNewConstMetric(descLastPlan, prometheus.GaugeValue, float64(pl.CreatedAt.Unix()), pl.Source)
		counts, err := st.PlanRuleCounts(ctx, pl.ID)
		if err != nil {
			return err
		}
		for _, c := range counts {
			ch <- prometheus.MustNewConstMetric(descItems, prometheus.GaugeValue, float64(c.Items), pl.Source, c.Rule, c.Verdict)
		}
		overdue, err := s.overdueOf(ctx, pl.ID, today)
		if err != nil {
			return err
		}
		for rule, n := range overdue {
			ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, float64(n), pl.Source, rule)
		}
	}
	batches, err := st.BatchCounts(ctx)
	if err != nil {
		return err
	}
	type key struct{ source, rule string }
	deleted, failed, waiting := map[key]int64{}, map[key]int64{}, map[key]int64{}
	for _, b := range batches {
		k := key{b.Source, b.Rule}
		deleted[k] += b.Deleted
		failed[k] += b.Failed
		if b.Status == store.StatusPending || b.Status == store.StatusGuarded {
			waiting[k] += b.Batches
		} else if _, ok := waiting[k]; !ok {
			waiting[k] = 0
		}
	}
	for k := range deleted {
		ch <- prometheus.MustNewConstMetric(descDeleted, prometheus.CounterValue, float64(deleted[k]), k.source, k.rule)
		ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(failed[k]), k.source, k.rule)
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(waiting[k]), k.source, k.rule)
	}
	n, err := st.TreeSize(ctx)
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(descLedger, prometheus.GaugeValue, float64(n))
	if at, ok, err := st.LastCheckpointAt(ctx); err != nil {
		return err
	} else if ok {
		ch <- prometheus.MustNewConstMetric(descCheckpoint, prometheus.GaugeValue, now.Sub(at.Time).Seconds())
	}
	od, err := s.p.OverdueInstructions(ctx)
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(descInstr, prometheus.GaugeValue, float64(len(od)))
	notices, err := st.OwnerNoticeCounts(ctx)
	if err != nil {
		return err
	}
	type nk struct{ source, rule string }
	byRule := map[nk][2]int64{} // unsent, sent
	for _, c := range notices {
		v := byRule[nk{c.Source, c.Rule}]
		if c.Sent {
			v[1] = c.N
		} else {
			v[0] = c.N
		}
		byRule[nk{c.Source, c.Rule}] = v
	}
	for k, v := range byRule {
		ch <- prometheus.MustNewConstMetric(descNotices, prometheus.GaugeValue, float64(v[0]), k.source, k.rule, "unsent")
		ch <- prometheus.MustNewConstMetric(descNotices, prometheus.GaugeValue, float64(v[1]), k.source, k.rule, "sent")
	}
	return nil
}

// overdueOf counts, per rule, the due items of a plan whose due date is
// before day; a plan's items do not change, so the count is kept per plan
// and day.
func (s *Server) overdueOf(ctx context.Context, plan int64, day string) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := overdueKey{plan, day}
	if c, ok := s.overdue[k]; ok {
		return c, nil
	}
	c, err := s.p.OverdueByRule(ctx, plan, day)
	if err != nil {
		return nil, err
	}
	s.overdue = map[overdueKey]map[string]int64{k: c} // only the current day matters
	return c, nil
}
