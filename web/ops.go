package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/notify"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/safetext"
	"github.com/retentiond/retentiond/web/auth"
)

// The operators' pages: /ops (sources and their last plan, batches held
// by the guard, approved batches, Plan now and Execute now, the
// notification test), /ops/holds and /ops/instructions. Every page and
// every action checks the operator role in the Pipeline (Authorize, or
// the Pipeline method itself) under the signed-in person's identity.

// opsRoutes registers the operators' pages.
func (s *Server) opsRoutes(mux *http.ServeMux) {
	s.ops = newOpsJobs()
	mux.HandleFunc("GET /ops", s.signedIn(s.opsPage))
	mux.HandleFunc("POST /ops/plan", s.opsPost(s.planNow, s.opsPage))
	mux.HandleFunc("POST /ops/batches/{id}/confirm", s.opsPost(s.confirmBatch, s.opsPage))
	mux.HandleFunc("POST /ops/batches/{id}/execute", s.opsPost(s.executeNow, s.opsPage))
	// Sending mail writes nothing: it does not wait for, or hold up, the
	// decisions being written.
	mux.HandleFunc("POST /ops/notify-test", s.opsPostWith(false, s.notifyTest, s.opsPage))
	mux.HandleFunc("GET /ops/holds", s.signedIn(s.holdsPage))
	mux.HandleFunc("POST /ops/holds", s.opsPost(s.addHold, s.holdsPage))
	mux.HandleFunc("POST /ops/holds/{id}/release", s.opsPost(s.releaseHold, s.holdsPage))
	mux.HandleFunc("GET /ops/instructions", s.signedIn(s.instructionsPage))
	mux.HandleFunc("POST /ops/instructions", s.opsPost(s.issueInstructions, s.instructionsPage))
	mux.HandleFunc("POST /ops/instructions/{id}/confirm", s.opsPost(s.confirmInstruction, s.instructionsPage))
	mux.HandleFunc("GET /ops/instructions/{id}/document.csv", s.signedIn(s.instructionCSV))
}

// SetSender sets how the notification test sends mail (the service's
// sender: the SMTP relay or Graph's sendMail). Without one the console
// sends through notify.smtp itself and cannot send through Graph.
func (s *Server) SetSender(snd notify.Sender) {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	s.ops.sender = snd
}

// Close stops the plans and executions started from the console (an
// execution stops after the slice in flight and records what it did) and
// waits for them, or for ctx. Call it before closing the Pipeline.
func (s *Server) Close(ctx context.Context) error {
	s.ops.cancel()
	done := make(chan struct{})
	go func() { s.ops.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("web console: jobs still running: %w", ctx.Err())
	}
}

// opsJobs are the plans and executions operators started from the
// console, at most one per source or batch at a time, and the messages
// waiting for a person's next page.
type opsJobs struct {
	ctx    context.Context // the server's lifetime
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	jobs   map[string]*opsJob // "plan:SOURCE", "execute:ID"
	flash  map[string]string  // session id → a notice for the next page
	sender notify.Sender

	// beforeRun, set by tests, runs in a job's goroutine before its work.
	beforeRun func(key string)
}

func newOpsJobs() *opsJobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &opsJobs{ctx: ctx, cancel: cancel, jobs: map[string]*opsJob{}, flash: map[string]string{}}
}

// opsJob is one plan or execution started from the console.
type opsJob struct {
	Key     string
	Source  string
	Batch   int64
	Person  string
	Started time.Time
	Running bool
	Err     string // one line, escaped
	plan    *scheduler.PlanResult
	exec    scheduler.ExecuteResult
}

// maxJobsShown bounds the list of finished jobs kept for the page.
const maxJobsShown = 20

// start runs fn in the background as job key, under ctx's identity (but
// not its cancellation: the request ends at once) until the server
// closes. It refuses a key already running.
func (o *opsJobs) start(ctx context.Context, l Locale, job *opsJob, fn func(context.Context, *opsJob) error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if cur, ok := o.jobs[job.Key]; ok && cur.Running {
		return &userError{http.StatusConflict, l.T("ops.job.already")}
	}
	if o.ctx.Err() != nil {
		return &userError{http.StatusServiceUnavailable, l.T("ops.job.closing")}
	}
	job.Running = true
	o.jobs[job.Key] = job
	o.prune()
	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(o.ctx, cancel)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer cancel()
		defer stop()
		if o.beforeRun != nil {
			o.beforeRun(job.Key)
		}
		err := fn(jctx, job)
		o.mu.Lock()
		defer o.mu.Unlock()
		job.Running = false
		if err != nil {
			job.Err = safetext.Text(scheduler.OneLine(err))
		}
	}()
	return nil
}

// prune forgets the oldest finished jobs beyond maxJobsShown (o.mu held).
func (o *opsJobs) prune() {
	var done []*opsJob
	for _, j := range o.jobs {
		if !j.Running {
			done = append(done, j)
		}
	}
	if len(done) <= maxJobsShown {
		return
	}
	sort.Slice(done, func(i, k int) bool { return done[i].Started.Before(done[k].Started) })
	for _, j := range done[:len(done)-maxJobsShown] {
		delete(o.jobs, j.Key)
	}
}

// snapshot returns copies of the jobs, newest first.
func (o *opsJobs) snapshot() []opsJob {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []opsJob
	for _, j := range o.jobs {
		out = append(out, *j)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Started.After(out[k].Started) })
	return out
}

func (o *opsJobs) setFlash(session, msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flash[session] = msg
}

func (o *opsJobs) takeFlash(session string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	msg := o.flash[session]
	delete(o.flash, session)
	return msg
}

// opsAction is a state change posted from an operators' page, taken by
// the signed-in person under ctx. It returns where to send the browser
// and a notice for the next page ("" for none).
type opsAction func(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (redirect, notice string, err error)

// opsPost runs an opsAction like post does (session, form, CSRF token,
// one write at a time). A refusal of the operator role is an error page
// (403); another mistake shows the page again (again, which reads the
// posted form to keep its values) with the message and its status.
func (s *Server) opsPost(act opsAction, again handler) http.HandlerFunc {
	return s.opsPostWith(true, act, again)
}

// opsPostWith is opsPost; write says whether act writes (and so waits for
// the other writes, one at a time, under the configuration lock). An act
// that does not write takes the configuration lock (s.mu) itself while it
// reads the configuration.
func (s *Server) opsPostWith(write bool, act opsAction, again handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.auth.Session(r)
		if err != nil {
			s.toSignin(w, r, err)
			return
		}
		if !s.checkForm(w, r, sess) {
			return
		}
		ctx := s.auth.Context(r.Context(), sess)
		l := s.locale(r)
		var to, notice string
		if write {
			s.writeMu.Lock()
			s.mu.RLock()
			to, notice, err = act(ctx, l, sess, r)
			s.mu.RUnlock()
			s.writeMu.Unlock()
		} else {
			// act takes s.mu itself, for as long as it reads the
			// configuration.
			to, notice, err = act(ctx, l, sess, r)
		}
		if err == nil {
			if !safeNext(to) {
				to = "/ops"
			}
			if notice != "" {
				s.ops.setFlash(sess.ID, notice)
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		status, msg := s.explain(r, l, err)
		if status == http.StatusForbidden || status == http.StatusInternalServerError {
			s.errorPage(w, r, sess, status, msg)
			return
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		pg := s.newPage(r, sess)
		st, name := again(w, r, sess, pg)
		if name == "" {
			return
		}
		if st == http.StatusOK {
			st = status
			pg.Error, pg.Notice = msg, ""
		}
		s.render(w, st, name, pg)
	}
}

// operator checks that the signed-in person holds the operator role (in
// the Pipeline, under their identity): a page of someone else is 403.
func (s *Server) operator(r *http.Request, sess *auth.Session, pg *page) (int, string, bool) {
	if _, err := s.p.Authorize(s.auth.Context(r.Context(), sess), sess.Person, configs.RoleOperator); err != nil {
		status, msg := s.explain(r, pg.L, err)
		pg.Title, pg.Error = pg.L.T("err.title"), msg
		return status, "error", false
	}
	if r.Method == http.MethodGet {
		pg.Notice = s.ops.takeFlash(sess.ID)
	}
	return 0, "", true
}

// opsSourceRow is one source on /ops.
type opsSourceRow struct {
	Name, Kind, Schedule string
	LastPlan             string // "2026-11-22 10:00", "" for never
	Result               string // counts of the last plan
	Incomplete           string // parts not read
	Failed               string // a failure since (the daemon's alert, or the console's job)
	Job                  *opsJobView
}

// opsBatchRow is one batch on /ops.
type opsBatchRow struct {
	ID                          int64
	Source, Rule, Title, Status string
	Items, Size, Note, Planned  string
	Job                         *opsJobView
}

// opsJobView is a job as the page shows it.
type opsJobView struct {
	What    string
	Started string
	State   string // running, done, failed
	Text    string
}

type opsView struct {
	Sources  []opsSourceRow
	Guarded  []opsBatchRow
	Approved []opsBatchRow
	Jobs     []opsJobView
	Notify   bool // a notify section is configured
}

func (s *Server) opsPage(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	if st, name, ok := s.operator(r, sess, pg); !ok {
		return st, name
	}
	ctx, cancel := ctxTimeout(r.Context())
	defer cancel()
	l, cfg := pg.L, s.config()
	pg.Title = l.T("ops.title")
	v := &opsView{Notify: cfg.Notify != nil}
	jobs := s.ops.snapshot()
	byKey := map[string]*opsJobView{}
	for _, j := range jobs {
		jv := s.opsJobView(l, j)
		byKey[j.Key] = &jv
		v.Jobs = append(v.Jobs, jv)
	}
	plans, err := s.p.Store.LatestTodayPlans(ctx)
	if err != nil {
		return s.failed(r, pg, err)
	}
	last := map[string]store.Plan{}
	for _, p := range plans {
		last[p.Source] = p
	}
	failed, err := s.sourceFailedAt(ctx)
	if err != nil {
		return s.failed(r, pg, err)
	}
	for _, src := range cfg.Sources {
		row := opsSourceRow{Name: src.Name, Kind: src.Kind.Name, Schedule: src.Schedule, Job: byKey["plan:"+src.Name]}
		var planned time.Time
		if p, ok := last[src.Name]; ok {
			planned = p.CreatedAt.Time
			at := planned.In(cfg.Location)
			row.LastPlan = at.Format("2006-01-02 15:04")
			row.Result = l.F("ops.plan.result", l.Number(p.Listed), l.Number(p.Due), l.Size(p.DueBytes), l.Number(p.Review), l.Number(p.Held))
			if p.Incomplete != "" {
				row.Incomplete = l.F("ops.plan.incomplete", safetext.Text(scheduler.OneLine(errors.New(p.Incomplete))))
			}
		}
		// A failure since the latest plan that worked.
		if at, ok := failed[src.Name]; ok && at.After(planned) {
			row.Failed = l.F("ops.plan.failed_on", at.In(cfg.Location).Format("2006-01-02"))
		}
		v.Sources = append(v.Sources, row)
	}
	bs, err := s.p.Store.Batches(ctx, store.StatusGuarded, store.StatusApproved, store.StatusExecuting)
	if err != nil {
		return s.failed(r, pg, err)
	}
	slices.Reverse(bs) // oldest first
	for _, b := range bs {
		row := opsBatchRow{ID: b.ID, Source: b.Source, Rule: b.Rule, Status: l.T("status." + b.Status),
			Items: l.Number(b.Items - b.Withdrawn), Size: l.Size(b.Bytes), Note: safetext.Text(b.StatusNote),
			Planned: b.CreatedAt.Time.In(cfg.Location).Format("2006-01-02 15:04"), Job: byKey[fmt.Sprintf("execute:%d", b.ID)]}
		if rule := cfg.Policies.Rule(b.Rule); rule != nil {
			row.Title = rule.Title
		}
		if b.Status == store.StatusGuarded {
			v.Guarded = append(v.Guarded, row)
		} else {
			v.Approved = append(v.Approved, row)
		}
	}
	pg.Data = v
	return http.StatusOK, "ops"
}

// sourceFailures returns, per source, the latest day the operators were
// alerted that it could not be planned (notification source_failed). The
// dashboard shows them too.
func (s *Server) sourceFailures(ctx context.Context) (map[string]string, error) {
	at, err := s.sourceFailedAt(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for src, t := range at {
		out[src] = t.In(s.config().Location).Format("2006-01-02")
	}
	return out, nil
}

// sourceFailedAt returns, per source, when the operators were last
// alerted that it could not be planned.
func (s *Server) sourceFailedAt(ctx context.Context) (map[string]time.Time, error) {
	ns, err := s.p.Store.Notifications(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, n := range ns {
		if n.Kind != "source_failed" {
			continue
		}
		// source-failed:SOURCE:DAY:PERSON
		rest, ok := strings.CutPrefix(n.Key, "source-failed:")
		if !ok {
			continue
		}
		parts := strings.Split(rest, ":")
		if len(parts) < 3 {
			continue
		}
		src := strings.Join(parts[:len(parts)-2], ":")
		if n.SentAt.Time.After(out[src]) {
			out[src] = n.SentAt.Time
		}
	}
	return out, nil
}

func (s *Server) opsJobView(l Locale, j opsJob) opsJobView {
	loc := s.config().Location
	jv := opsJobView{Started: l.F("ops.job.started", j.Started.In(loc).Format("2006-01-02 15:04:05"), j.Person)}
	if j.Batch != 0 {
		jv.What = l.F("ops.job.execute", j.Batch)
	} else {
		jv.What = l.F("ops.job.plan", j.Source)
	}
	switch {
	case j.Running:
		jv.State, jv.Text = "running", l.T("ops.job.running")
	case j.Err != "":
		jv.State, jv.Text = "failed", l.F("ops.job.failed", j.Err)
	case j.Batch != 0 && j.exec.Stopped != "":
		jv.State, jv.Text = "failed", l.F("ops.job.stopped", safetext.Text(j.exec.Stopped), j.exec.Deleted)
	case j.Batch != 0:
		jv.State, jv.Text = "done", l.F("ops.job.executed", j.exec.Deleted, j.exec.Skipped, j.exec.Failed)
		if j.exec.Method == store.MethodArchive {
			jv.Text = l.F("ops.job.archived", j.exec.Deleted, j.exec.Skipped, j.exec.Failed)
		}
	case j.plan != nil && j.plan.Plan != nil:
		pl := j.plan.Plan
		jv.State, jv.Text = "done", l.F("ops.job.planned", l.Number(pl.Listed), l.Number(pl.Due), len(j.plan.Batches))
		if j.plan.Incomplete != nil {
			jv.Text += " " + l.F("ops.plan.incomplete", safetext.Text(scheduler.OneLine(j.plan.Incomplete)))
		}
	default:
		jv.State, jv.Text = "done", l.T("ops.job.done")
	}
	return jv
}

// planNow starts a plan of one source (form field source) for today.
func (s *Server) planNow(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (string, string, error) {
	who, err := s.p.Authorize(ctx, sess.Person, configs.RoleOperator)
	if err != nil {
		return "", "", err
	}
	name := r.PostForm.Get("source")
	if _, ok := s.config().Source(name); !ok {
		return "", "", &userError{http.StatusBadRequest, l.F("ops.no_source", safetext.Text(name))}
	}
	p := s.p.ForJob()
	job := &opsJob{Key: "plan:" + name, Source: name, Person: who.ID, Started: s.p.Clock.Now()}
	err = s.ops.start(ctx, l, job, func(ctx context.Context, j *opsJob) error {
		res, err := p.PlanNow(ctx, who.ID, name)
		s.ops.mu.Lock()
		j.plan = res
		s.ops.mu.Unlock()
		if err == nil {
			s.log.Info("plan started from the console finished", zap.String("source", name))
		}
		return err
	})
	if err != nil {
		return "", "", err
	}
	return "/ops", l.F("ops.plan.started", name), nil
}

// executeNow starts the execution of one approved batch, as the signed-in
// operator.
func (s *Server) executeNow(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (string, string, error) {
	who, err := s.p.Authorize(ctx, sess.Person, configs.RoleOperator)
	if err != nil {
		return "", "", err
	}
	id, ok := batchID(r)
	if !ok {
		return "", "", store.ErrNotFound
	}
	b, err := s.p.Store.Batch(ctx, id)
	if err != nil {
		return "", "", err
	}
	if b.Status != store.StatusApproved && b.Status != store.StatusExecuting {
		return "", "", fmt.Errorf("batch %d is %s, not approved: %w", id, b.Status, scheduler.ErrState)
	}
	p := s.p.ForJob()
	job := &opsJob{Key: fmt.Sprintf("execute:%d", id), Batch: id, Person: who.ID, Started: s.p.Clock.Now()}
	err = s.ops.start(ctx, l, job, func(ctx context.Context, j *opsJob) error {
		res, err := p.ExecuteNow(ctx, who.ID, id)
		s.ops.mu.Lock()
		j.exec = res
		s.ops.mu.Unlock()
		if err != nil {
			s.log.Warn("execution started from the console failed", zap.Int64("batch", id), zap.Error(err))
		} else {
			s.log.Info("execution started from the console finished", zap.Int64("batch", id), zap.Int64("deleted", res.Deleted),
				zap.Int64("skipped", res.Skipped), zap.Int64("failed", res.Failed))
		}
		return err
	})
	if err != nil {
		return "", "", err
	}
	return "/ops", l.F("ops.execute.started", id), nil
}

// confirmBatch releases a batch held by the blast-radius guard (`batches
// confirm ID --as`).
func (s *Server) confirmBatch(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (string, string, error) {
	id, ok := batchID(r)
	if !ok {
		return "", "", store.ErrNotFound
	}
	b, err := s.p.Confirm(ctx, id, sess.Person)
	if err != nil {
		return "", "", err
	}
	return "/ops", l.F("ops.confirmed", id, l.T("status."+b.Status)), nil
}

// notifyTest sends the test e-mail `retentiond notify test` sends, to the
// operators of notify.operators.
func (s *Server) notifyTest(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (string, string, error) {
	snd, cfg, to, err := s.testRecipients(ctx, l, sess)
	if err != nil {
		return "", "", err
	}
	// Sent without the configuration lock: a relay that is slow to answer
	// holds up no page and no reload.
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var sent []string
	for _, addr := range to {
		if err := snd.Send(sctx, notify.TestMail(cfg, addr)); err != nil { // in the configuration's locale, as the CLI's
			s.log.Warn("test notification not sent", zap.Error(err))
			msg := l.F("ops.notify.failed", safetext.Text(scheduler.OneLine(err)))
			if len(sent) > 0 {
				msg = l.F("ops.notify.sent", strings.Join(sent, ", ")) + " " + msg
			}
			return "", "", &userError{http.StatusBadGateway, msg}
		}
		sent = append(sent, safetext.Text(addr))
	}
	return "/ops", l.F("ops.notify.sent", strings.Join(sent, ", ")), nil
}

// testRecipients checks the operator role and returns the sender, the
// configuration in force and the addresses of the test e-mail, under the
// configuration lock.
func (s *Server) testRecipients(ctx context.Context, l Locale, sess *auth.Session) (notify.Sender, *configs.Config, []string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.p.Authorize(ctx, sess.Person, configs.RoleOperator); err != nil {
		return nil, nil, nil, err
	}
	cfg := s.config()
	if cfg.Notify == nil {
		return nil, nil, nil, &userError{http.StatusConflict, l.T("ops.notify.none")}
	}
	s.ops.mu.Lock()
	snd := s.ops.sender
	s.ops.mu.Unlock()
	if snd == nil {
		if cfg.Notify.SMTP == nil {
			return nil, nil, nil, &userError{http.StatusConflict, l.T("ops.notify.no_sender")}
		}
		snd = notify.SMTP{Relay: *cfg.Notify.SMTP, Now: s.p.Clock.Now, Log: s.log.Named("notify")}
	}
	var to []string
	for _, id := range cfg.Notify.Operators {
		if person, ok := cfg.Person(id); ok && person.Email != "" {
			to = append(to, person.Email)
		}
	}
	if len(to) == 0 {
		return nil, nil, nil, &userError{http.StatusConflict, l.T("ops.notify.nobody")}
	}
	return snd, cfg, to, nil
}

// opsHoldRow is one hold on /ops/holds.
type opsHoldRow struct {
	ID, Reason, Owner                 string
	Source, Path, Ref, Subject, Until string
	Window, Created, Released         string
	Evidence, Active                  bool
}

type opsHoldsView struct {
	All     bool
	Holds   []opsHoldRow
	Sources []string
	// The form's values (kept after a refusal).
	Reason, Owner, Source, Path, Ref, Subject, Until, From, To string
	Evidence, Force, Uncovered                                 bool
}

func (s *Server) holdsPage(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	if st, name, ok := s.operator(r, sess, pg); !ok {
		return st, name
	}
	ctx, cancel := ctxTimeout(r.Context())
	defer cancel()
	l, cfg := pg.L, s.config()
	pg.Title = l.T("holds.title")
	v := &opsHoldsView{All: r.URL.Query().Get("all") == "1"}
	for _, src := range cfg.Sources {
		v.Sources = append(v.Sources, src.Name)
	}
	if r.Method == http.MethodPost && r.URL.Path == "/ops/holds" {
		f := r.PostForm
		v.Reason, v.Owner, v.Source, v.Path, v.Ref, v.Subject = f.Get("reason"), f.Get("owner"), f.Get("source"), f.Get("path"), f.Get("ref"), f.Get("subject")
		v.Until, v.From, v.To, v.Evidence, v.Force = f.Get("until"), f.Get("recorded_from"), f.Get("recorded_until"), f.Get("evidence") != "", f.Get("force") != ""
		v.Uncovered = f.Get("uncovered") != ""
	}
	hs, err := s.p.Store.Holds(ctx, v.All)
	if err != nil {
		return s.failed(r, pg, err)
	}
	moment := func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return s
		}
		return t.In(cfg.Location).Format("2006-01-02 15:04")
	}
	for _, h := range hs {
		row := opsHoldRow{ID: h.ID, Reason: safetext.Text(h.Reason), Owner: safetext.Text(h.Owner), Source: h.Source,
			Path: safetext.Name(h.Path), Ref: safetext.Name(h.Ref), Subject: safetext.Text(h.Subject), Until: h.Until,
			Evidence: h.Evidence, Active: h.ReleasedAt == nil, Created: h.CreatedAt.Time.In(cfg.Location).Format("2006-01-02")}
		if h.RecordedFrom != "" || h.RecordedUntil != "" {
			row.Window = l.F("holds.window", moment(h.RecordedFrom), moment(h.RecordedUntil))
		}
		if h.ReleasedAt != nil {
			by := ""
			if h.ReleasedBy != nil {
				by = *h.ReleasedBy
			}
			row.Released = l.F("holds.released_by", h.ReleasedAt.Time.In(cfg.Location).Format("2006-01-02"), by)
		}
		v.Holds = append(v.Holds, row)
	}
	pg.Data = v
	return http.StatusOK, "ops_holds"
}

// addHold adds a hold (`holds add`): the same fields, checks and ledger
// entry as the command line, the signed-in operator as its actor.
func (s *Server) addHold(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (string, string, error) {
	if _, err := s.p.Authorize(ctx, sess.Person, configs.RoleOperator); err != nil {
		return "", "", err
	}
	f := r.PostForm
	h := scheduler.HoldSpec{Reason: strings.TrimSpace(f.Get("reason")), Owner: strings.TrimSpace(f.Get("owner")),
		Source: strings.TrimSpace(f.Get("source")), Path: strings.TrimSpace(f.Get("path")), Ref: strings.TrimSpace(f.Get("ref")),
		Subject: strings.TrimSpace(f.Get("subject")), Until: strings.TrimSpace(f.Get("until")),
		RecordedFrom: strings.TrimSpace(f.Get("recorded_from")), RecordedUntil: strings.TrimSpace(f.Get("recorded_until")),
		Evidence: f.Get("evidence") != "", Force: f.Get("force") != ""}
	switch {
	case h.Reason == "" || h.Owner == "":
		return "", "", &userError{http.StatusBadRequest, l.T("holds.err.reason")}
	case h.Source == "" && h.Path == "" && h.Ref == "" && h.Subject == "":
		return "", "", &userError{http.StatusBadRequest, l.T("holds.err.scope")}
	case h.Evidence && h.Source == "":
		return "", "", &userError{http.StatusBadRequest, l.T("holds.err.evidence")}
	}
	if _, err := s.p.CheckHold(h); err != nil {
		return "", "", &userError{http.StatusBadRequest, l.F("holds.err.invalid", safetext.Text(err.Error()))}
	}
	id, err := s.p.AddHold(ctx, sess.Person, h)
	var unc *scheduler.UncoveredHoldError
	if errors.As(err, &unc) {
		r.PostForm.Set("uncovered", "1")
		return "", "", &userError{http.StatusConflict, l.F("holds.err.uncovered", safetext.Text(strings.Join(unc.Checked, "; ")))}
	}
	if err != nil {
		return "", "", err
	}
	notice := l.F("holds.added", id)
	if h.Subject != "" || h.Path != "" {
		notice += " " + l.T("holds.added.instructions")
	}
	return "/ops/holds", notice, nil
}

// releaseHold releases a hold (`holds release ID`).
func (s *Server) releaseHold(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (string, string, error) {
	id := r.PathValue("id")
	if err := s.p.ReleaseHold(ctx, sess.Person, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", "", &userError{http.StatusNotFound, l.F("holds.err.unknown", safetext.Text(id))}
		}
		return "", "", err
	}
	return "/ops/holds", l.F("holds.released", id), nil
}

// opsInstructionRow is one instruction on /ops/instructions.
type opsInstructionRow struct {
	ID, System, Issued, Lines, FirstDue, ConfirmBy, State string
	Overdue, Confirmable                                  bool
}

type opsInstructionsView struct {
	Instructions []opsInstructionRow
	Horizon      string
	Dir          string
	By           string
}

func (s *Server) instructionsPage(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	if st, name, ok := s.operator(r, sess, pg); !ok {
		return st, name
	}
	ctx, cancel := ctxTimeout(r.Context())
	defer cancel()
	l, cfg := pg.L, s.config()
	pg.Title = l.T("instr.title")
	v := &opsInstructionsView{Horizon: strconv.Itoa(scheduler.DefaultInstructionHorizon), Dir: opsInstructionDir(cfg)}
	if r.Method == http.MethodPost {
		if h := r.PostForm.Get("horizon"); h != "" {
			v.Horizon = h
		}
		v.By = r.PostForm.Get("by")
	}
	all, err := s.p.Store.Instructions(ctx)
	if err != nil {
		return s.failed(r, pg, err)
	}
	overdue, err := s.p.OverdueInstructions(ctx)
	if err != nil {
		return s.failed(r, pg, err)
	}
	late := map[string]bool{}
	for _, in := range overdue {
		late[in.ID] = true
	}
	for i := len(all) - 1; i >= 0; i-- { // newest first
		in := all[i]
		row := opsInstructionRow{ID: in.ID, System: safetext.Text(in.System), Issued: in.CreatedAt.Time.In(cfg.Location).Format("2006-01-02"),
			Lines: l.Number(in.Lines), FirstDue: opsDash(in.EarliestDue), ConfirmBy: opsDash(in.Deadline), State: l.T("instr.state.waiting")}
		if in.Withdrawn > 0 {
			row.Lines = l.F("instr.lines_withdrawn", in.Lines, in.Withdrawn)
		}
		switch {
		case in.Lines == 0:
			row.State = l.F("instr.state.withdraws", in.Withdrawals)
		case in.ConfirmedAt == nil && in.Standing() == 0:
			row.State = l.T("instr.state.all_withdrawn")
		case in.ConfirmedAt != nil:
			by, as := "", ""
			if in.ConfirmedBy != nil {
				by = *in.ConfirmedBy
			}
			if in.ConfirmedAs != nil {
				as = *in.ConfirmedAs
			}
			row.State = l.F("instr.state.confirmed", in.ConfirmedAt.Time.In(cfg.Location).Format("2006-01-02"), safetext.Text(by), as)
		default:
			row.Confirmable = true
			if late[in.ID] {
				row.Overdue, row.State = true, l.T("instr.state.overdue")
			}
		}
		v.Instructions = append(v.Instructions, row)
	}
	pg.Data = v
	return http.StatusOK, "ops_instructions"
}

// instructionCSV downloads an instruction's CSV document as it was issued
// (`retentiond instructions show ID`).
func (s *Server) instructionCSV(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	if st, name, ok := s.operator(r, sess, pg); !ok {
		return st, name
	}
	id := r.PathValue("id")
	in, err := s.p.Store.Instruction(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		pg.Title, pg.Error = pg.L.T("err.title"), pg.L.F("instr.err.unknown_any", safetext.Text(id))
		return http.StatusNotFound, "error"
	}
	if err != nil {
		return s.failed(r, pg, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, csvName(in.ID)))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(in.Document)
	return 0, ""
}

// csvName keeps letters, digits and dashes of an instruction id for a
// file name.
func csvName(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, id)
}

func opsDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// opsInstructionDir is where issued instructions are written: the command
// line's default, instructions/ beside the configuration.
func opsInstructionDir(cfg *configs.Config) string { return filepath.Join(cfg.Dir, "instructions") }

// issueInstructions issues the deletion instructions due (`retentiond
// instructions`), writes their documents where the command line does and
// says what was issued.
func (s *Server) issueInstructions(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (string, string, error) {
	horizon := scheduler.DefaultInstructionHorizon
	if h := strings.TrimSpace(r.PostForm.Get("horizon")); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < -1 || n > 3660 {
			return "", "", &userError{http.StatusBadRequest, l.F("instr.err.horizon", safetext.Text(h))}
		}
		horizon = n
	}
	res, err := s.p.IssueInstructions(ctx, scheduler.InstructionOptions{Horizon: horizon, Person: sess.Person})
	if err != nil {
		if errors.Is(err, scheduler.ErrNotAllowed) {
			return "", "", err
		}
		return "", "", &userError{http.StatusConflict, l.F("instr.err.issue", safetext.Text(scheduler.OneLine(err)))}
	}
	dir := opsInstructionDir(s.config())
	var parts []string
	for _, in := range res.Issued {
		if _, err := scheduler.WriteInstruction(dir, in); err != nil {
			return "", "", err
		}
		if len(in.Lines) > 0 {
			parts = append(parts, l.F("instr.issued", in.ID, safetext.Text(in.System), len(in.Lines), in.EarliestDue, in.Deadline))
		} else {
			parts = append(parts, l.F("instr.issued_empty", in.ID, safetext.Text(in.System)))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, l.T("instr.none_new"))
	} else {
		parts = append(parts, l.F("instr.written", dir))
	}
	if res.Withheld > 0 {
		parts = append(parts, l.F("instr.withheld", res.Withheld, strings.Join(res.Holds, ", ")))
	}
	if res.Flagged > 0 {
		parts = append(parts, l.F("instr.flagged", res.Flagged))
	}
	return "/ops/instructions", strings.Join(parts, " "), nil
}

// confirmInstruction records that an instruction was carried out
// (`instructions confirm ID --by`).
func (s *Server) confirmInstruction(ctx context.Context, l Locale, sess *auth.Session, r *http.Request) (string, string, error) {
	id := r.PathValue("id")
	by := strings.TrimSpace(r.PostForm.Get("by"))
	if _, err := s.p.Authorize(ctx, sess.Person, configs.RoleOperator); err != nil {
		return "", "", err
	}
	if by == "" {
		return "", "", &userError{http.StatusBadRequest, l.T("instr.err.by")}
	}
	if err := s.p.ConfirmInstruction(ctx, id, by, sess.Person); err != nil {
		switch {
		case errors.Is(err, scheduler.ErrNotAllowed):
			return "", "", err
		case errors.Is(err, store.ErrNotFound):
			return "", "", &userError{http.StatusNotFound, l.F("instr.err.unknown", safetext.Text(id))}
		}
		return "", "", &userError{http.StatusConflict, l.F("instr.err.confirm", safetext.Text(scheduler.OneLine(err)))}
	}
	return "/ops/instructions", l.F("instr.confirmed", id, safetext.Text(by)), nil
}

// opsWords are the operators' pages' words (merged into catalog).
var opsWords = map[string]map[string]string{
	"da": {
		"ops.title":                 "Drift",
		"ops.nav.overview":          "Kilder og slettelister",
		"ops.nav.holds":             "Sletteblokeringer",
		"ops.nav.instructions":      "Sletteinstrukser",
		"ops.refresh":               "Opdatér siden",
		"ops.sources":               "Kilder",
		"ops.sources.intro":         "Hver kildes seneste sletteplan (prøvekørsel, intet slettes) og om den er fejlet siden. \"Planlæg nu\" laver en sletteplan med det samme; det kan tage minutter.",
		"ops.col.source":            "Kilde",
		"ops.col.last_plan":         "Seneste sletteplan",
		"ops.col.result":            "Resultat",
		"ops.col.action":            "Handling",
		"ops.col.note":              "Hvorfor tilbageholdt",
		"ops.schedule":              "planlægges %s",
		"ops.never":                 "aldrig",
		"ops.plan.result":           "%s elementer gennemgået: %s skal slettes (%s), %s til vurdering, %s blokeret",
		"ops.plan.incomplete":       "Dele af kilden kunne ikke læses: %s",
		"ops.plan.failed_on":        "Kunne ikke planlægges %s (IT-drift har fået besked)",
		"ops.plan.button":           "Planlæg %s nu",
		"ops.plan.started":          "Sletteplanen for %s er startet. Opdatér siden for at se, hvornår den er færdig.",
		"ops.no_source":             "Der er ingen kilde, der hedder %q.",
		"ops.guarded.title":         "Tilbageholdt af størrelsesværnet",
		"ops.guarded.intro":         "Slettelister, der er usædvanligt store i forhold til kildens tidligere lister. De venter på, at IT-drift bekræfter størrelsen; derefter skal de godkendes som alle andre.",
		"ops.guarded.none":          "Ingen sletteliste er tilbageholdt.",
		"ops.confirm.button":        "Bekræft størrelsen af sletteliste %d",
		"ops.confirmed":             "Størrelsen af sletteliste %d er bekræftet; den er nu: %s.",
		"ops.approved.title":        "Godkendt og klar til sletning",
		"ops.approved.intro":        "Slettelister, der er godkendt og slettes ved næste planlagte kørsel. \"Udfør nu\" sletter med det samme, registreret i sletteprotokollen i dit navn.",
		"ops.approved.none":         "Ingen godkendte slettelister venter.",
		"ops.execute.button":        "Udfør sletteliste %d nu",
		"ops.execute.started":       "Sletteliste %d udføres nu. Opdatér siden for at se, hvornår den er færdig.",
		"ops.jobs.title":            "Startet herfra",
		"ops.jobs.none":             "Intet er startet fra konsollen, siden tjenesten startede.",
		"ops.job.plan":              "Sletteplan for %s",
		"ops.job.execute":           "Sletteliste %d",
		"ops.job.started":           "startet %s af %s",
		"ops.job.running":           "kører …",
		"ops.job.failed":            "fejlet: %s",
		"ops.job.stopped":           "stoppet: %s (%d slettet forinden)",
		"ops.job.executed":          "færdig: %d slettet, %d sprunget over, %d fejlet",
		"ops.job.archived":          "færdig: %d arkiveret, %d sprunget over, %d fejlet",
		"ops.job.planned":           "færdig: %s elementer gennemgået, %s skal slettes, %d nye slettelister",
		"ops.job.done":              "færdig",
		"ops.job.already":           "Det kører allerede. Vent, til det er færdigt.",
		"ops.job.closing":           "Tjenesten lukker ned; prøv igen, når den er startet.",
		"ops.notify.title":          "Test af beskeder",
		"ops.notify.intro":          "Send en test-e-mail til IT-drift (notify.operators), samme som retentiond notify test, for at kontrollere mail-opsætningen.",
		"ops.notify.button":         "Send test-e-mail",
		"ops.notify.none":           "Konfigurationen har ingen notify-sektion: ingen får besked om noget.",
		"ops.notify.no_sender":      "Konsollen kan ikke sende gennem Microsoft Graph her. Brug retentiond notify test på serveren.",
		"ops.notify.nobody":         "Ingen i notify.operators har en e-mailadresse.",
		"ops.notify.sent":           "Test-e-mail sendt til %s.",
		"ops.notify.failed":         "Test-e-mailen blev ikke sendt: %s",
		"holds.title":               "Sletteblokeringer",
		"holds.intro":               "En sletteblokering holder alt, hvad den dækker, fra at blive slettet, hvad slettereglerne end siger: fra næste sletteplan og også i slettelister, der allerede er godkendt.",
		"holds.active":              "Aktive sletteblokeringer",
		"holds.all":                 "Alle sletteblokeringer",
		"holds.show_all":            "Vis også ophævede",
		"holds.show_active":         "Vis kun aktive",
		"holds.none":                "Ingen sletteblokeringer.",
		"holds.col.id":              "Nr.",
		"holds.col.reason":          "Begrundelse",
		"holds.col.scope":           "Dækker",
		"holds.col.until":           "Til",
		"holds.owner":               "ansvarlig: %s",
		"holds.created":             "oprettet %s",
		"holds.window":              "optaget fra %s til %s",
		"holds.until_released":      "til den ophæves",
		"holds.state.active":        "aktiv",
		"holds.released_by":         "ophævet %s af %s",
		"holds.evidence":            "blokering til politiet (bevis)",
		"holds.release.button":      "Ophæv sletteblokering %s",
		"holds.released":            "Sletteblokering %s er ophævet; det, den dækkede, afgøres igen af slettereglerne fra næste sletteplan.",
		"holds.add.title":           "Opret sletteblokering",
		"holds.add.intro":           "Angiv mindst én af kilde, sti, element og person. Et element er dækket, når det passer med alle de angivne. Begrundelsen kommer i sletteprotokollen: beskriv sagen, nævn ingen personer.",
		"holds.add.button":          "Opret sletteblokering",
		"holds.added":               "Sletteblokering %s er oprettet.",
		"holds.added.instructions":  "Sletteinstrukser: der udstedes ingen linje for det, den dækker; linjer, der er udstedt og ikke bekræftet, trækkes tilbage ved næste udstedelse.",
		"holds.f.reason":            "Begrundelse (sagen, ingen navne)",
		"holds.f.owner":             "Ansvarlig for at ophæve den (fx databeskyttelsesrådgiveren)",
		"holds.f.scope":             "Hvad den dækker",
		"holds.f.source":            "Kilde",
		"holds.f.any_source":        "alle kilder",
		"holds.f.path":              "Sti",
		"holds.f.path_hint":         "Sti eller mønster, fx Personale/Fratrådte/Eva Olsen/**",
		"holds.f.ref":               "Element",
		"holds.f.ref_hint":          "Ét element (dets fulde sti)",
		"holds.f.subject":           "Person",
		"holds.f.subject_hint":      "Person som art:nummer, fx staff:1234",
		"holds.f.window":            "Optagelser",
		"holds.f.until":             "Slutter (tom: til den ophæves)",
		"holds.f.evidence_legend":   "Blokering til politiet (videooptagelser)",
		"holds.f.evidence_intro":    "Vælg kameraets kilde og sti ovenfor, og angiv hændelsens tidsrum. Optagelserne gemmes ud over de 30 dage; når blokeringen ophæves (optagelserne er udleveret), skal de slettes med det samme.",
		"holds.f.from":              "Optaget fra (fx 2026-11-03 14:00)",
		"holds.f.to":                "Optaget til",
		"holds.f.evidence":          "Bevis til politiet: slet straks, når blokeringen ophæves",
		"holds.f.force":             "Opret den, selv om den ikke dækker noget nu",
		"holds.err.reason":          "Skriv en begrundelse og hvem der er ansvarlig.",
		"holds.err.scope":           "Angiv hvad sletteblokeringen dækker: en kilde, en sti, et element eller en person.",
		"holds.err.evidence":        "En blokering til politiet skal have en kilde (kameraet) og normalt en sti og et tidsrum.",
		"holds.err.invalid":         "Sletteblokeringen er ikke oprettet: %s",
		"holds.err.uncovered":       "Sletteblokeringen dækker intet element: %s. Kontrollér stien, eller sæt flueben i \"Opret den, selv om den ikke dækker noget nu\".",
		"holds.err.unknown":         "Der er ingen aktiv sletteblokering %s.",
		"instr.title":               "Sletteinstrukser",
		"instr.intro":               "For systemer uden en måde at slette på (Lectio, SkoleIntra, databehandlere) udsteder retentiond en sletteinstruks pr. system. Den, der driver systemet, sletter; IT-drift bekræfter det her.",
		"instr.issue.title":         "Udsted sletteinstrukser",
		"instr.issue.intro":         "Udsteder det, der skal slettes nu eller inden for horisonten, og ikke er udstedt før. Dokumenterne (PDF, Markdown, CSV og en signeret note) skrives i %s.",
		"instr.f.horizon":           "Horisont i dage (-1: kun det, der skal slettes nu)",
		"instr.issue.button":        "Udsted sletteinstrukser",
		"instr.issued":              "Sletteinstruks %s til %s: %d linjer, første skal slettes %s, bekræftes senest %s.",
		"instr.issued_empty":        "Sletteinstruks %s til %s: ingen nye linjer (intet at bekræfte).",
		"instr.none_new":            "Ingen nye sletteinstrukser.",
		"instr.written":             "Dokumenterne er skrevet i %s.",
		"instr.withheld":            "%d linjer tilbageholdt, fordi en sletteblokering dækker dem (%s).",
		"instr.flagged":             "%d personer har eksportdata, der ikke kan stoles på; de er ikke med, før det er rettet.",
		"instr.list.title":          "Udstedte sletteinstrukser",
		"instr.none":                "Der er ikke udstedt nogen sletteinstrukser.",
		"instr.col.id":              "Nr.",
		"instr.col.system":          "System",
		"instr.col.issued":          "Udstedt",
		"instr.col.lines":           "Linjer",
		"instr.col.first_due":       "Første skal slettes",
		"instr.col.confirm_by":      "Bekræftes senest",
		"instr.lines_withdrawn":     "%d (%d trukket tilbage)",
		"instr.state.waiting":       "afventer bekræftelse",
		"instr.state.overdue":       "slettefrist overskredet",
		"instr.state.withdraws":     "trækker %d linjer i tidligere instrukser tilbage (intet at bekræfte)",
		"instr.state.all_withdrawn": "trukket tilbage: en sletteblokering dækker alle linjer",
		"instr.state.confirmed":     "bekræftet %s, udført af %s (registreret af %s)",
		"instr.f.by":                "Udført af (fx Lectio-administrator)",
		"instr.confirm.button":      "Bekræft %s",
		"instr.confirmed":           "Sletteinstruks %s er bekræftet som udført af %s og registreret i sletteprotokollen.",
		"instr.err.by":              "Skriv hvem der udførte sletteinstruksen.",
		"instr.err.unknown":         "Der er ingen ubekræftet sletteinstruks %s.",
		"instr.err.confirm":         "Sletteinstruksen er ikke bekræftet: %s",
		"instr.err.issue":           "Der blev ikke udstedt sletteinstrukser: %s",
		"instr.download":            "Hent CSV",
		"instr.err.unknown_any":     "Der er ingen sletteinstruks %s.",
		"instr.err.horizon":         "%q er ikke et antal dage.",
	},
	"sv": {
		"ops.title":                 "Drift",
		"ops.nav.overview":          "Källor och gallringslistor",
		"ops.nav.holds":             "Bevarandespärrar",
		"ops.nav.instructions":      "Gallringsinstruktioner",
		"ops.refresh":               "Uppdatera sidan",
		"ops.sources":               "Källor",
		"ops.sources.intro":         "Varje källas senaste gallringsplan (provkörning, inget raderas) och om den har misslyckats sedan dess. \"Planera nu\" gör en gallringsplan direkt; det kan ta minuter.",
		"ops.col.source":            "Källa",
		"ops.col.last_plan":         "Senaste gallringsplan",
		"ops.col.result":            "Resultat",
		"ops.col.action":            "Åtgärd",
		"ops.col.note":              "Varför tillbakahållen",
		"ops.schedule":              "planeras %s",
		"ops.never":                 "aldrig",
		"ops.plan.result":           "%s objekt genomgångna: %s ska gallras (%s), %s att bedöma, %s spärrade",
		"ops.plan.incomplete":       "Delar av källan kunde inte läsas: %s",
		"ops.plan.failed_on":        "Kunde inte planeras %s (IT-drift har fått besked)",
		"ops.plan.button":           "Planera %s nu",
		"ops.plan.started":          "Gallringsplanen för %s har startat. Uppdatera sidan för att se när den är klar.",
		"ops.no_source":             "Det finns ingen källa som heter %q.",
		"ops.guarded.title":         "Tillbakahållna av storleksspärren",
		"ops.guarded.intro":         "Gallringslistor som är ovanligt stora jämfört med källans tidigare listor. De väntar på att IT-drift bekräftar storleken; därefter ska de godkännas som alla andra.",
		"ops.guarded.none":          "Ingen gallringslista är tillbakahållen.",
		"ops.confirm.button":        "Bekräfta storleken på gallringslista %d",
		"ops.confirmed":             "Storleken på gallringslista %d är bekräftad; den är nu: %s.",
		"ops.approved.title":        "Godkända och klara för gallring",
		"ops.approved.intro":        "Gallringslistor som är godkända och gallras vid nästa schemalagda körning. \"Utför nu\" raderar direkt, registrerat i gallringsloggen i ditt namn.",
		"ops.approved.none":         "Inga godkända gallringslistor väntar.",
		"ops.execute.button":        "Utför gallringslista %d nu",
		"ops.execute.started":       "Gallringslista %d utförs nu. Uppdatera sidan för att se när den är klar.",
		"ops.jobs.title":            "Startat härifrån",
		"ops.jobs.none":             "Inget har startats från konsolen sedan tjänsten startade.",
		"ops.job.plan":              "Gallringsplan för %s",
		"ops.job.execute":           "Gallringslista %d",
		"ops.job.started":           "startad %s av %s",
		"ops.job.running":           "pågår …",
		"ops.job.failed":            "misslyckades: %s",
		"ops.job.stopped":           "stoppad: %s (%d raderade dessförinnan)",
		"ops.job.executed":          "klar: %d raderade, %d överhoppade, %d misslyckade",
		"ops.job.archived":          "klar: %d arkiverade, %d överhoppade, %d misslyckade",
		"ops.job.planned":           "klar: %s objekt genomgångna, %s ska gallras, %d nya gallringslistor",
		"ops.job.done":              "klar",
		"ops.job.already":           "Det pågår redan. Vänta tills det är klart.",
		"ops.job.closing":           "Tjänsten stängs av; försök igen när den har startat.",
		"ops.notify.title":          "Test av meddelanden",
		"ops.notify.intro":          "Skicka ett testmejl till IT-drift (notify.operators), samma som retentiond notify test, för att kontrollera e-postinställningarna.",
		"ops.notify.button":         "Skicka testmejl",
		"ops.notify.none":           "Konfigurationen saknar notify-avsnitt: ingen får besked om något.",
		"ops.notify.no_sender":      "Konsolen kan inte skicka via Microsoft Graph här. Använd retentiond notify test på servern.",
		"ops.notify.nobody":         "Ingen i notify.operators har en e-postadress.",
		"ops.notify.sent":           "Testmejl skickat till %s.",
		"ops.notify.failed":         "Testmejlet skickades inte: %s",
		"holds.title":               "Bevarandespärrar",
		"holds.intro":               "En bevarandespärr hindrar att allt den omfattar raderas, vad gallringsreglerna än säger: från nästa gallringsplan och även i gallringslistor som redan är godkända.",
		"holds.active":              "Aktiva bevarandespärrar",
		"holds.all":                 "Alla bevarandespärrar",
		"holds.show_all":            "Visa även hävda",
		"holds.show_active":         "Visa bara aktiva",
		"holds.none":                "Inga bevarandespärrar.",
		"holds.col.id":              "Nr",
		"holds.col.reason":          "Motivering",
		"holds.col.scope":           "Omfattar",
		"holds.col.until":           "Till",
		"holds.owner":               "ansvarig: %s",
		"holds.created":             "skapad %s",
		"holds.window":              "inspelat från %s till %s",
		"holds.until_released":      "tills den hävs",
		"holds.state.active":        "aktiv",
		"holds.released_by":         "hävd %s av %s",
		"holds.evidence":            "spärr för polisen (bevis)",
		"holds.release.button":      "Häv bevarandespärr %s",
		"holds.released":            "Bevarandespärr %s är hävd; det den omfattade avgörs åter av gallringsreglerna från nästa gallringsplan.",
		"holds.add.title":           "Skapa bevarandespärr",
		"holds.add.intro":           "Ange minst en av källa, sökväg, objekt och person. Ett objekt omfattas när det stämmer med alla som anges. Motiveringen hamnar i gallringsloggen: beskriv ärendet, nämn inga personer.",
		"holds.add.button":          "Skapa bevarandespärr",
		"holds.added":               "Bevarandespärr %s är skapad.",
		"holds.added.instructions":  "Gallringsinstruktioner: ingen rad utfärdas för det den omfattar; rader som är utfärdade men inte bekräftade dras tillbaka vid nästa utfärdande.",
		"holds.f.reason":            "Motivering (ärendet, inga namn)",
		"holds.f.owner":             "Ansvarig för att häva den (t.ex. dataskyddsombudet)",
		"holds.f.scope":             "Vad den omfattar",
		"holds.f.source":            "Källa",
		"holds.f.any_source":        "alla källor",
		"holds.f.path":              "Sökväg",
		"holds.f.path_hint":         "Sökväg eller mönster, t.ex. Personal/Slutat/Eva Olsson/**",
		"holds.f.ref":               "Objekt",
		"holds.f.ref_hint":          "Ett objekt (hela dess sökväg)",
		"holds.f.subject":           "Person",
		"holds.f.subject_hint":      "Person som typ:nummer, t.ex. staff:1234",
		"holds.f.window":            "Inspelningar",
		"holds.f.until":             "Slutar (tomt: tills den hävs)",
		"holds.f.evidence_legend":   "Spärr för polisen (kamerainspelningar)",
		"holds.f.evidence_intro":    "Välj kamerans källa och sökväg ovan och ange händelsens tidsintervall. Inspelningarna sparas längre än 30 dagar; när spärren hävs (inspelningarna är överlämnade) ska de raderas direkt.",
		"holds.f.from":              "Inspelat från (t.ex. 2026-11-03 14:00)",
		"holds.f.to":                "Inspelat till",
		"holds.f.evidence":          "Bevis till polisen: radera direkt när spärren hävs",
		"holds.f.force":             "Skapa den även om den inte omfattar något nu",
		"holds.err.reason":          "Skriv en motivering och vem som är ansvarig.",
		"holds.err.scope":           "Ange vad bevarandespärren omfattar: en källa, en sökväg, ett objekt eller en person.",
		"holds.err.evidence":        "En spärr för polisen behöver en källa (kameran) och oftast en sökväg och ett tidsintervall.",
		"holds.err.invalid":         "Bevarandespärren skapades inte: %s",
		"holds.err.uncovered":       "Bevarandespärren omfattar inget objekt: %s. Kontrollera sökvägen, eller markera \"Skapa den även om den inte omfattar något nu\".",
		"holds.err.unknown":         "Det finns ingen aktiv bevarandespärr %s.",
		"instr.title":               "Gallringsinstruktioner",
		"instr.intro":               "För system utan ett sätt att radera (Lectio, SkoleIntra, personuppgiftsbiträden) utfärdar retentiond en gallringsinstruktion per system. Den som driver systemet raderar; IT-drift bekräftar det här.",
		"instr.issue.title":         "Utfärda gallringsinstruktioner",
		"instr.issue.intro":         "Utfärdar det som ska gallras nu eller inom horisonten och inte har utfärdats förut. Dokumenten (PDF, Markdown, CSV och en signerad anteckning) skrivs i %s.",
		"instr.f.horizon":           "Horisont i dagar (-1: bara det som ska gallras nu)",
		"instr.issue.button":        "Utfärda gallringsinstruktioner",
		"instr.issued":              "Gallringsinstruktion %s till %s: %d rader, den första ska gallras %s, bekräftas senast %s.",
		"instr.issued_empty":        "Gallringsinstruktion %s till %s: inga nya rader (inget att bekräfta).",
		"instr.none_new":            "Inga nya gallringsinstruktioner.",
		"instr.written":             "Dokumenten är skrivna i %s.",
		"instr.withheld":            "%d rader tillbakahållna eftersom en bevarandespärr omfattar dem (%s).",
		"instr.flagged":             "%d personer har exportdata som inte går att lita på; de är inte med förrän det är rättat.",
		"instr.list.title":          "Utfärdade gallringsinstruktioner",
		"instr.none":                "Inga gallringsinstruktioner har utfärdats.",
		"instr.col.id":              "Nr",
		"instr.col.system":          "System",
		"instr.col.issued":          "Utfärdad",
		"instr.col.lines":           "Rader",
		"instr.col.first_due":       "Första ska gallras",
		"instr.col.confirm_by":      "Bekräftas senast",
		"instr.lines_withdrawn":     "%d (%d tillbakadragna)",
		"instr.state.waiting":       "väntar på bekräftelse",
		"instr.state.overdue":       "gallringsfrist passerad",
		"instr.state.withdraws":     "drar tillbaka %d rader i tidigare instruktioner (inget att bekräfta)",
		"instr.state.all_withdrawn": "tillbakadragen: en bevarandespärr omfattar alla rader",
		"instr.state.confirmed":     "bekräftad %s, utförd av %s (registrerad av %s)",
		"instr.f.by":                "Utförd av (t.ex. Lectio-administratör)",
		"instr.confirm.button":      "Bekräfta %s",
		"instr.confirmed":           "Gallringsinstruktion %s är bekräftad som utförd av %s och registrerad i gallringsloggen.",
		"instr.err.by":              "Skriv vem som utförde gallringsinstruktionen.",
		"instr.err.unknown":         "Det finns ingen obekräftad gallringsinstruktion %s.",
		"instr.err.confirm":         "Gallringsinstruktionen bekräftades inte: %s",
		"instr.err.issue":           "Inga gallringsinstruktioner utfärdades: %s",
		"instr.download":            "Hämta CSV",
		"instr.err.unknown_any":     "Det finns ingen gallringsinstruktion %s.",
		"instr.err.horizon":         "%q är inget antal dagar.",
	},
	"en": {
		"ops.title":                 "Operations",
		"ops.nav.overview":          "Sources and batches",
		"ops.nav.holds":             "Holds",
		"ops.nav.instructions":      "Deletion instructions",
		"ops.refresh":               "Refresh the page",
		"ops.sources":               "Sources",
		"ops.sources.intro":         "Each source's latest plan (a dry run: nothing is deleted) and whether it failed since. \"Plan now\" makes a plan at once; it can take minutes.",
		"ops.col.source":            "Source",
		"ops.col.last_plan":         "Latest plan",
		"ops.col.result":            "Result",
		"ops.col.action":            "Action",
		"ops.col.note":              "Why held",
		"ops.schedule":              "planned %s",
		"ops.never":                 "never",
		"ops.plan.result":           "%s items listed: %s due (%s), %s to review, %s held",
		"ops.plan.incomplete":       "Parts of the source could not be read: %s",
		"ops.plan.failed_on":        "Could not be planned on %s (the operators were alerted)",
		"ops.plan.button":           "Plan %s now",
		"ops.plan.started":          "The plan of %s has started. Refresh the page to see when it is done.",
		"ops.no_source":             "There is no source named %q.",
		"ops.guarded.title":         "Held by the size guard",
		"ops.guarded.intro":         "Batches unusually large compared with the source's earlier ones. They wait for an operator to confirm their size; then they need their approvals like any other.",
		"ops.guarded.none":          "No batch is held by the guard.",
		"ops.confirm.button":        "Confirm the size of batch %d",
		"ops.confirmed":             "The size of batch %d is confirmed; it is now: %s.",
		"ops.approved.title":        "Approved, waiting for execution",
		"ops.approved.intro":        "Batches approved and executed at the next scheduled run. \"Execute now\" deletes at once, recorded in the ledger as done by you.",
		"ops.approved.none":         "No approved batch waits.",
		"ops.execute.button":        "Execute batch %d now",
		"ops.execute.started":       "Batch %d is being executed. Refresh the page to see when it is done.",
		"ops.jobs.title":            "Started from here",
		"ops.jobs.none":             "Nothing was started from the console since the service started.",
		"ops.job.plan":              "Plan of %s",
		"ops.job.execute":           "Batch %d",
		"ops.job.started":           "started %s by %s",
		"ops.job.running":           "running …",
		"ops.job.failed":            "failed: %s",
		"ops.job.stopped":           "stopped: %s (%d deleted before)",
		"ops.job.executed":          "done: %d deleted, %d skipped, %d failed",
		"ops.job.archived":          "done: %d archived, %d skipped, %d failed",
		"ops.job.planned":           "done: %s items listed, %s due, %d new batches",
		"ops.job.done":              "done",
		"ops.job.already":           "That is running already. Wait until it has finished.",
		"ops.job.closing":           "The service is shutting down; try again once it has started.",
		"ops.notify.title":          "Notification test",
		"ops.notify.intro":          "Send a test e-mail to the operators (notify.operators), the same as retentiond notify test, to check the mail settings.",
		"ops.notify.button":         "Send a test e-mail",
		"ops.notify.none":           "The configuration has no notify section: nobody is told anything.",
		"ops.notify.no_sender":      "The console cannot send through Microsoft Graph here. Use retentiond notify test on the server.",
		"ops.notify.nobody":         "Nobody in notify.operators has an e-mail address.",
		"ops.notify.sent":           "Test e-mail sent to %s.",
		"ops.notify.failed":         "The test e-mail was not sent: %s",
		"holds.title":               "Holds",
		"holds.intro":               "A hold keeps everything it covers from being deleted, whatever the retention rules say: from the next plan on, and also in batches already approved.",
		"holds.active":              "Active holds",
		"holds.all":                 "All holds",
		"holds.show_all":            "Show released holds too",
		"holds.show_active":         "Show active holds only",
		"holds.none":                "No holds.",
		"holds.col.id":              "ID",
		"holds.col.reason":          "Reason",
		"holds.col.scope":           "Covers",
		"holds.col.until":           "Until",
		"holds.owner":               "owner: %s",
		"holds.created":             "added %s",
		"holds.window":              "recorded from %s to %s",
		"holds.until_released":      "until released",
		"holds.state.active":        "active",
		"holds.released_by":         "released %s by %s",
		"holds.evidence":            "evidence hold (police)",
		"holds.release.button":      "Release hold %s",
		"holds.released":            "Hold %s released; what it covered is decided by the rules again from the next plan.",
		"holds.add.title":           "Add a hold",
		"holds.add.intro":           "Give at least one of source, path, item and person; an item is covered when it matches all that are given. The reason goes into the ledger: describe the case, do not name people.",
		"holds.add.button":          "Add the hold",
		"holds.added":               "Hold %s added.",
		"holds.added.instructions":  "Deletion instructions: no line is issued for what it covers; lines issued and not yet confirmed are withdrawn by the next issue.",
		"holds.f.reason":            "Reason (the case, no names)",
		"holds.f.owner":             "Who is responsible for releasing it (e.g. the DPO)",
		"holds.f.scope":             "What it covers",
		"holds.f.source":            "Source",
		"holds.f.any_source":        "every source",
		"holds.f.path":              "Path",
		"holds.f.path_hint":         "Path or pattern, e.g. Personale/Fratrådte/Eva Olsen/**",
		"holds.f.ref":               "Item",
		"holds.f.ref_hint":          "One item (its full path)",
		"holds.f.subject":           "Person",
		"holds.f.subject_hint":      "Person as kind:id, e.g. staff:1234",
		"holds.f.window":            "Recordings",
		"holds.f.until":             "Ends on (empty: until released)",
		"holds.f.evidence_legend":   "Evidence hold for the police (CCTV recordings)",
		"holds.f.evidence_intro":    "Choose the camera's source and path above and give the incident's time window. The footage is kept past its 30 days; when the hold is released (the footage handed over) it is due at once.",
		"holds.f.from":              "Recorded from (e.g. 2026-11-03 14:00)",
		"holds.f.to":                "Recorded until",
		"holds.f.evidence":          "Police evidence: delete at once when the hold is released",
		"holds.f.force":             "Place it even though it covers nothing now",
		"holds.err.reason":          "Give a reason and who is responsible.",
		"holds.err.scope":           "Say what the hold covers: a source, a path, an item or a person.",
		"holds.err.evidence":        "An evidence hold needs a source (the camera) and usually a path and a time window.",
		"holds.err.invalid":         "The hold was not added: %s",
		"holds.err.uncovered":       "The hold covers no item: %s. Check the path, or tick \"Place it even though it covers nothing now\".",
		"holds.err.unknown":         "There is no active hold %s.",
		"instr.title":               "Deletion instructions",
		"instr.intro":               "For systems without a way to delete (Lectio, SkoleIntra, data processors) retentiond issues one deletion instruction per system. Whoever runs the system deletes; an operator confirms it here.",
		"instr.issue.title":         "Issue deletion instructions",
		"instr.issue.intro":         "Issues what is due now or within the horizon and was not issued before. The documents (PDF, Markdown, CSV and a signed note) are written to %s.",
		"instr.f.horizon":           "Horizon in days (-1: only what is due now)",
		"instr.issue.button":        "Issue deletion instructions",
		"instr.issued":              "Instruction %s for %s: %d lines, first due %s, to be confirmed by %s.",
		"instr.issued_empty":        "Instruction %s for %s: no new lines (nothing to confirm).",
		"instr.none_new":            "No new deletion instructions.",
		"instr.written":             "The documents are in %s.",
		"instr.withheld":            "%d lines withheld: a hold covers them (%s).",
		"instr.flagged":             "%d people have export data that cannot be trusted; they are in no instruction until it is corrected.",
		"instr.list.title":          "Issued instructions",
		"instr.none":                "No instructions issued.",
		"instr.col.id":              "ID",
		"instr.col.system":          "System",
		"instr.col.issued":          "Issued",
		"instr.col.lines":           "Lines",
		"instr.col.first_due":       "First due",
		"instr.col.confirm_by":      "Confirm by",
		"instr.lines_withdrawn":     "%d (%d withdrawn)",
		"instr.state.waiting":       "waiting for confirmation",
		"instr.state.overdue":       "overdue",
		"instr.state.withdraws":     "withdraws %d lines of earlier instructions (nothing to confirm)",
		"instr.state.all_withdrawn": "withdrawn: a hold covers every line",
		"instr.state.confirmed":     "confirmed %s, carried out by %s (recorded by %s)",
		"instr.f.by":                "Carried out by (e.g. Lectio administrator)",
		"instr.confirm.button":      "Confirm %s",
		"instr.confirmed":           "Instruction %s confirmed as carried out by %s; recorded in the ledger.",
		"instr.err.by":              "Say who carried the instruction out.",
		"instr.err.unknown":         "There is no unconfirmed instruction %s.",
		"instr.err.confirm":         "The instruction was not confirmed: %s",
		"instr.err.issue":           "No instructions were issued: %s",
		"instr.download":            "Download CSV",
		"instr.err.unknown_any":     "There is no instruction %s.",
		"instr.err.horizon":         "%q is not a number of days.",
	},
}
