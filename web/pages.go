package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/review"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/safetext"
	"github.com/retentiond/retentiond/web/auth"
)

// PageSize is how many items a batch page lists.
const PageSize = 100

// waitingRow is one batch on "Waiting for me".
type waitingRow struct {
	ID       int64
	Rule     string
	Title    string
	Basis    string
	Items    string
	Size     string
	Waited   string
	Progress []stageRow
}

// stageRow is one stage of a batch's approval.
type stageRow struct {
	N       int
	Group   string
	Count   string
	Done    bool
	By      []string // "anna, 2026-11-22 10:00 (one-time link)"
	Waiting bool     // the stage the batch waits for
}

func (s *Server) waiting(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	ctx, cancel := ctxTimeout(r.Context())
	defer cancel()
	pg.Title = pg.L.T("waiting.title")
	ws, err := s.p.WaitingFor(ctx, sess.Person)
	if err != nil {
		return s.failed(r, pg, err)
	}
	now := s.p.Clock.Now()
	var rows []waitingRow
	for _, wt := range ws {
		b := wt.Batch
		row := waitingRow{ID: b.ID, Rule: b.Rule, Items: pg.L.Number(b.Items - b.Withdrawn), Size: pg.L.Size(b.Bytes),
			Waited: waited(pg.L, now.Sub(b.CreatedAt.Time)), Progress: s.stages(pg.L, wt.State, nil)}
		if rule := s.config().Policies.Rule(b.Rule); rule != nil {
			row.Title = rule.Title
			if rule.Policy != nil {
				row.Basis = rule.Policy.Title
				if row.Basis == "" {
					row.Basis = rule.Policy.ID
				}
			}
		}
		rows = append(rows, row)
	}
	pg.Data = rows
	return http.StatusOK, "waiting"
}

// stages describes an approval state; approvals, when given, say who
// approved each stage when and how they signed in.
func (s *Server) stages(l Locale, st scheduler.ApprovalState, approvals []store.Approval) []stageRow {
	var out []stageRow
	open := false
	for i, ss := range st.Stages {
		row := stageRow{N: i + 1, Group: ss.Stage.Group, Count: l.F("stage.count", len(ss.Approvers), ss.Stage.Count), Done: ss.Done()}
		if !ss.Done() && !open {
			row.Waiting, open = true, true
		}
		for _, a := range approvals {
			if a.Stage != i {
				continue
			}
			name := a.Approver
			if who, ok := s.config().Person(a.Approver); ok && who.Name != "" {
				name = who.Name
			}
			method := a.Auth
			if method == "" {
				method = "typed"
			}
			row.By = append(row.By, l.F("stage.by", name, a.At.Time.In(s.config().Location).Format("2006-01-02 15:04"), l.T("auth."+method)))
		}
		out = append(out, row)
	}
	return out
}

// batchView is the batch page.
type batchView struct {
	ID          int64
	Status      string
	StatusCode  string
	Pending     bool // approvals, rejections and exclusions are possible
	Rejectable  bool
	Source      string
	Rule        string
	RuleTitle   string
	Policy      string
	PolicyTitle string
	Digest      string
	PolicyText  string
	Planned     string
	Items       string
	Withdrawn   string
	Size        string
	Fingerprint string
	Executed    string
	Archive     bool
	Automatic   bool
	PlannerOnly bool
	Stages      []stageRow
	Summary     *summaryView // nil when it could not be read

	Q        string
	Page     int
	Rows     []itemRow
	Range    string
	Prev     string // links to the neighbouring pages, "" for none
	Next     string
	Searched bool

	// Form values given back after an error.
	Reason, KeepUntil, Paths, Pattern string
}

// itemRow is one item of a batch.
type itemRow struct {
	Path      string
	Size      string
	Due       string
	Reason    string
	State     string
	Withdrawn bool
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	id, ok := batchID(r)
	if !ok {
		return http.StatusNotFound, s.notFound(pg)
	}
	switch r.URL.Query().Get("done") {
	case "approved", "stage", "rejected", "excluded":
		pg.Notice = pg.L.T("done." + r.URL.Query().Get("done"))
	}
	return s.batchPage(r, pg, id, nil)
}

// batchPage fills pg with batch id's page; form holds the values of a
// form that failed (nil: none).
func (s *Server) batchPage(r *http.Request, pg *page, id int64, form url.Values) (int, string) {
	ctx, cancel := ctxTimeout(r.Context())
	defer cancel()
	cfg := s.config()
	b, err := s.p.Store.Batch(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return http.StatusNotFound, s.notFound(pg)
	}
	if err != nil {
		return s.failed(r, pg, err)
	}
	l := pg.L
	v := &batchView{ID: b.ID, StatusCode: b.Status, Status: l.T("status." + b.Status), Source: b.Source, Rule: b.Rule,
		Policy: b.Policy, Digest: b.PolicyDigest, Items: l.Number(b.Items - b.Withdrawn), Size: l.Size(b.Bytes),
		Fingerprint: b.Fingerprint, Archive: b.Method == store.MethodArchive,
		Planned: l.F("batch.planned_by", b.CreatedAt.Time.In(cfg.Location).Format("2006-01-02 15:04"), b.Planner)}
	v.Pending = b.Status == store.StatusPending
	v.Rejectable = b.Status == store.StatusPending || b.Status == store.StatusGuarded || b.Status == store.StatusApproved
	if b.Withdrawn > 0 {
		v.Withdrawn = l.F("batch.withdrawn", b.Withdrawn)
	}
	if b.Status == store.StatusDone || b.Status == store.StatusExecuting {
		v.Executed = l.F("batch.executed", b.Deleted, b.Skipped, b.Failed)
	}
	if rule := cfg.Policies.Rule(b.Rule); rule != nil {
		v.RuleTitle = rule.Title
		v.Automatic = rule.Approval.Automatic()
		if rule.Policy != nil && rule.Policy.Digest == b.PolicyDigest {
			v.PolicyTitle, v.PolicyText = rule.Policy.Title, string(rule.Policy.Text)
		}
	}
	if st, err := s.p.Approval(ctx, b); err == nil {
		as, err := s.p.Store.Approvals(ctx, b.ID)
		if err != nil {
			return s.failed(r, pg, err)
		}
		var counted []store.Approval
		for _, a := range as {
			if a.Fingerprint == b.Fingerprint {
				counted = append(counted, a)
			}
		}
		v.Stages, v.PlannerOnly = s.stages(l, st, counted), st.PlannerOnly
	}

	q := r.URL.Query()
	v.Q = strings.TrimSpace(q.Get("q"))
	if len(v.Q) > 200 {
		v.Q = v.Q[:200]
	}
	v.Page = 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		v.Page = n
	}
	if form != nil {
		v.Reason, v.KeepUntil, v.Paths, v.Pattern = form.Get("reason"), form.Get("keep_until"), form.Get("paths"), form.Get("pattern")
	}
	v.Summary = s.summary(ctx, b, l)
	res, err := s.items(ctx, b, v.Q, v.Page, l)
	if err != nil {
		return s.failed(r, pg, err)
	}
	v.Rows, v.Searched = res.rows, v.Q != ""
	first := (v.Page-1)*PageSize + 1
	last := first + len(res.rows) - 1
	switch {
	case len(res.rows) == 0:
	case v.Q == "":
		v.Range = l.F("items.range", l.Number(int64(first)), l.Number(int64(last)), l.Number(b.Items))
	case res.total >= 0:
		v.Range = l.F("items.range_q", l.Number(int64(first)), l.Number(int64(last)), l.Number(res.total))
	default:
		v.Range = l.F("items.range_more", l.Number(int64(first)), l.Number(int64(last)))
	}
	link := func(page int) string {
		u := fmt.Sprintf("/batches/%d?page=%d", b.ID, page)
		if v.Q != "" {
			u += "&q=" + url.QueryEscape(v.Q)
		}
		return u
	}
	if v.Page > 1 {
		v.Prev = link(v.Page - 1)
	}
	if res.more {
		v.Next = link(v.Page + 1)
	}
	pg.Title = l.F("batch.title", b.ID)
	pg.Data = v
	return http.StatusOK, "batch"
}

type itemsResult struct {
	rows  []itemRow
	more  bool  // items follow the page
	total int64 // matches of a search when every chunk was read, else -1
}

// items reads page (from 1) of a batch's items whose path contains q
// (case-insensitively; "" for all), one stored chunk at a time, and stops
// as soon as the page is full and one more item is known to follow.
func (s *Server) items(ctx context.Context, b *store.Batch, q string, page int, l Locale) (itemsResult, error) {
	res := itemsResult{total: -1}
	withdrawn, err := s.p.Store.BatchWithdrawals(ctx, b.ID)
	if err != nil {
		return res, err
	}
	// An item not withdrawn is in the batch while it waits; once the batch
	// ran or was decided, its state is the batch's (the outcome of each
	// item is `batches show`'s for now).
	inBatch := l.T("state.in_batch")
	switch b.Status {
	case store.StatusPending, store.StatusGuarded, store.StatusApproved:
	default:
		inBatch = l.T("status." + b.Status)
	}
	skip := int64(page-1) * PageSize
	var seen int64
	reasons := map[store.PlanItem]string{}
	add := func(it store.PlanItem) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(res.rows) == PageSize {
			res.more = true
			return store.ErrStop
		}
		key := store.PlanItem{Note: it.Note, Rule: it.Rule, Verdict: it.Verdict, Due: it.Due, Anchor: it.Anchor, Subject: it.Subject}
		reason, ok := reasons[key]
		if !ok {
			if len(reasons) > 1024 {
				clear(reasons)
			}
			reason = s.p.ExplainIn(l.Lang, it)
			reasons[key] = reason
		}
		row := itemRow{Path: safetext.Name(it.Ref), Size: l.Size(it.Size), Due: it.Due, Reason: safetext.Text(reason), State: inBatch}
		if wd, ok := withdrawn[it.Ref]; ok {
			row.Withdrawn = true
			row.State = l.F("state.withdrawn", wd.Code)
			if wd.Successor > 0 {
				row.State += ", " + l.F("state.now_in", wd.Successor)
			}
		}
		res.rows = append(res.rows, row)
		return nil
	}
	if q == "" {
		// The page's items are read from the chunk that holds its first
		// on: the chunks before it are skipped by their item counts.
		err = s.p.Store.BatchItemsFrom(ctx, b.ID, skip, add)
		return res, err
	}
	// A search counts its matches (the page's "N matches") unless the page
	// fills; chunks whose raw bytes cannot hold a match are not decoded.
	err = s.p.Store.BatchSearch(ctx, b.ID, q, func(it store.PlanItem) error {
		seen++
		if seen <= skip {
			return nil
		}
		return add(it)
	})
	if err != nil {
		return res, err
	}
	if !res.more {
		res.total = seen
	}
	return res, nil
}

// batchCSV streams every item of a batch as CSV (the columns of `batches
// show --format csv`, names escaped), one stored chunk at a time.
func (s *Server) batchCSV(w http.ResponseWriter, r *http.Request) {
	s.batchDownload(w, r, "csv")
}

// batchXLSX streams every item of a batch as XLSX: `batches show --format
// xlsx` (review.WriteXLSX), written to the response as it is made.
func (s *Server) batchXLSX(w http.ResponseWriter, r *http.Request) {
	s.batchDownload(w, r, "xlsx")
}

// batchDownload streams a batch's items as csv or xlsx to a signed-in
// person.
func (s *Server) batchDownload(w http.ResponseWriter, r *http.Request, format string) {
	sess, err := s.auth.Session(r)
	if err != nil {
		s.toSignin(w, r, err)
		return
	}
	id, ok := batchID(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusNotFound, s.locale(r).T("err.not_found"))
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ctx := r.Context()
	l := locale(s.config().Web, r)
	b, err := s.p.Store.Batch(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		pg := s.newPage(r, sess)
		s.render(w, http.StatusNotFound, s.notFound(pg), pg)
		return
	}
	var st *review.ItemStates
	if err == nil {
		st, err = review.New(ctx, s.p, b)
	}
	if err != nil {
		s.log.Error("console download failed", zap.String("route", route(r)), zap.Error(err))
		pg := s.newPage(r, sess)
		pg.Title, pg.Error = l.T("err.title"), l.T("err.internal")
		s.render(w, http.StatusInternalServerError, "error", pg)
		return
	}
	h := w.Header()
	switch format {
	case "xlsx":
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	default:
		h.Set("Content-Type", "text/csv; charset=utf-8")
	}
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="batch-%d.%s"`, b.ID, format))
	h.Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	if format == "xlsx" {
		err = review.WriteXLSX(ctx, bw, s.p, b, st, 0)
	} else {
		err = review.WriteCSV(ctx, bw, s.p, b, st, 0)
	}
	if err != nil {
		// Too late for another status: the download ends short.
		s.log.Error("console download stopped", zap.String("route", route(r)), zap.Error(err))
		return
	}
	bw.Flush()
}

func batchID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) notFound(pg *page) string {
	pg.Title, pg.Error = pg.L.T("err.title"), pg.L.T("err.not_found")
	return "error"
}

// failed answers an error that is nobody's mistake: logged, and the page
// says only that something went wrong.
func (s *Server) failed(r *http.Request, pg *page, err error) (int, string) {
	s.log.Error("console page failed", zap.String("route", route(r)), zap.Error(err))
	pg.Title, pg.Error = pg.L.T("err.title"), pg.L.T("err.internal")
	return http.StatusInternalServerError, "error"
}

// userError is a mistake of the person using the console: it is shown on
// the page with the status given.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

// action is a decision about a batch, taken by person under ctx. It
// returns what to tell the person afterwards (a done.* key).
type action func(ctx context.Context, l Locale, id int64, person string, form url.Values) (done string, err error)

// maxForm bounds a form's body: a list of paths to exclude fits well.
const maxForm = 1 << 20

// decision runs an action posted from a batch page: it needs a session
// (else the sign-in page) and the session's CSRF token; the
// CrossOriginProtection around every handler has refused cross-origin
// posts already. The Pipeline checks the person's roles.
func (s *Server) decision(act action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.auth.Session(r)
		if err != nil {
			s.toSignin(w, r, err)
			return
		}
		id, ok := batchID(r)
		if !ok {
			s.errorPage(w, r, sess, http.StatusNotFound, s.locale(r).T("err.not_found"))
			return
		}
		if !s.checkForm(w, r, sess) {
			return
		}
		ctx := s.auth.Context(r.Context(), sess)
		s.writeMu.Lock()
		s.mu.RLock()
		l := locale(s.config().Web, r)
		done, err := act(ctx, l, id, sess.Person, r.PostForm)
		s.mu.RUnlock()
		s.writeMu.Unlock()
		if err == nil {
			http.Redirect(w, r, fmt.Sprintf("/batches/%d?done=%s", id, done), http.StatusSeeOther)
			return
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		pg := s.newPage(r, sess)
		status, msg := s.explain(r, l, err)
		if status == http.StatusInternalServerError {
			s.render(w, status, "error", &page{L: l, Title: l.T("err.title"), Error: msg, Person: pg.Person, Roles: pg.Roles, CSRF: pg.CSRF})
			return
		}
		// The batch page again, with the message and the form's values.
		if _, name := s.batchPage(r, pg, id, r.PostForm); name == "batch" {
			pg.Error = msg
			s.render(w, status, "batch", pg)
			return
		}
		s.render(w, status, "error", &page{L: l, Title: l.T("err.title"), Error: msg, Person: pg.Person, Roles: pg.Roles, CSRF: pg.CSRF})
	}
}

// explain turns a decision's error into a status and words for the page.
func (s *Server) explain(r *http.Request, l Locale, err error) (int, string) {
	var ue *userError
	var se *scheduler.StateError
	switch {
	case errors.As(err, &ue):
		return ue.status, ue.msg
	case errors.Is(err, scheduler.ErrNotAllowed):
		return http.StatusForbidden, l.F("err.not_allowed", safetext.Text(strings.TrimSuffix(err.Error(), ": "+scheduler.ErrNotAllowed.Error())))
	case errors.As(err, &se):
		return http.StatusConflict, l.F("err.state", safetext.Text(se.Msg))
	case errors.Is(err, scheduler.ErrState):
		return http.StatusConflict, l.F("err.state", safetext.Text(strings.TrimSuffix(err.Error(), ": "+scheduler.ErrState.Error())))
	case errors.Is(err, scheduler.ErrNoMatch):
		return http.StatusBadRequest, l.F("err.no_match", safetext.Text(strings.TrimSuffix(err.Error(), ": "+scheduler.ErrNoMatch.Error())))
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, l.T("err.not_found")
	}
	s.log.Error("console decision failed", zap.String("route", route(r)), zap.Error(err))
	return http.StatusInternalServerError, l.T("err.internal")
}

func (s *Server) approve(ctx context.Context, l Locale, id int64, person string, form url.Values) (string, error) {
	_, st, err := s.p.Approve(ctx, id, person, strings.TrimSpace(form.Get("fingerprint")))
	if err != nil {
		return "", err
	}
	if st.Complete {
		return "approved", nil
	}
	return "stage", nil
}

// decisionOptions reads the reason and keep-until date of a form.
func decisionOptions(l Locale, form url.Values) (scheduler.DecisionOptions, error) {
	var o scheduler.DecisionOptions
	o.Reason = strings.TrimSpace(form.Get("reason"))
	if o.Reason == "" {
		return o, &userError{http.StatusBadRequest, l.T("err.reason")}
	}
	if ku := strings.TrimSpace(form.Get("keep_until")); ku != "" {
		d, err := policies.ParseDate(ku)
		if err != nil {
			return o, &userError{http.StatusBadRequest, l.F("err.date", ku)}
		}
		o.KeepUntil = d
	}
	if ra := strings.TrimSpace(form.Get("review_after")); ra != "" && o.KeepUntil.IsZero() {
		p, err := policies.ParsePeriod(ra)
		if err != nil {
			return o, &userError{http.StatusBadRequest, l.F("err.bad_input", err.Error())}
		}
		o.ReviewAfter = p
	}
	return o, nil
}

// dateError turns the Pipeline's refusal of a date (not after today) into
// a user's mistake.
func dateError(err error) error {
	if err != nil && !errors.Is(err, scheduler.ErrNotAllowed) && !errors.Is(err, scheduler.ErrState) &&
		!errors.Is(err, store.ErrNotFound) && !errors.Is(err, scheduler.ErrNoMatch) &&
		(strings.Contains(err.Error(), "--keep-until") || strings.Contains(err.Error(), "--review-after") || strings.Contains(err.Error(), "--path")) {
		return &userError{http.StatusBadRequest, safetext.Text(err.Error())}
	}
	return err
}

func (s *Server) reject(ctx context.Context, l Locale, id int64, person string, form url.Values) (string, error) {
	o, err := decisionOptions(l, form)
	if err != nil {
		return "", err
	}
	_, err = s.p.Reject(ctx, id, person, o)
	return "rejected", dateError(err)
}

func (s *Server) exclude(ctx context.Context, l Locale, id int64, person string, form url.Values) (string, error) {
	o, err := decisionOptions(l, form)
	if err != nil {
		return "", err
	}
	spec := scheduler.ExcludeSpec{DecisionOptions: o, Path: strings.TrimSpace(form.Get("pattern"))}
	seen := map[string]bool{}
	// Paths come as the page shows them (safetext.Name: controls as
	// \xNN, a backslash doubled); one that does not unescape is taken as
	// it is.
	add := func(p string) {
		p = strings.TrimRight(p, "\r")
		if u, err := safetext.Unescape(p); err == nil {
			p = u
		}
		if strings.TrimSpace(p) != "" && !seen[p] {
			seen[p] = true
			spec.Refs = append(spec.Refs, p)
		}
	}
	for _, p := range form["item"] {
		add(p)
	}
	for _, p := range strings.Split(form.Get("paths"), "\n") {
		add(p)
	}
	if len(spec.Refs) == 0 && spec.Path == "" {
		return "", &userError{http.StatusBadRequest, l.T("err.nothing")}
	}
	_, err = s.p.Exclude(ctx, id, person, spec)
	return "excluded", dateError(err)
}
