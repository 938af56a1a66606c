package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store/safetext"
	"github.com/retentiond/retentiond/web/auth"
)

// The DPO's and auditors' pages. They read; none changes the ledger, a
// batch, a hold or a decision ("verify now" records its result, which is
// not part of the ledger). Every Pipeline method they call checks the
// person's roles (scheduler/dashboard.go): the dashboard and the ledger's
// status for every role, a person's explanation, an item's proof and the
// evidence bundle for auditors and approvers only.
//
// Nothing personal goes into a URL: a person is looked up, an item proved
// and a bundle exported by a POST form (with the session's CSRF token);
// the answer is the page or the download itself, never a redirect that
// carries what was asked.

// dashboardRoutes registers the DPO's and auditors' pages.
func (s *Server) dashboardRoutes(mux *http.ServeMux) {
	a := &audit{s: s}
	mux.HandleFunc("GET /dashboard", s.signedIn(a.dashboard))
	mux.HandleFunc("GET /ledger", s.signedIn(a.ledger))
	mux.HandleFunc("POST /ledger/verify", a.readPost("/ledger", a.verify))
	mux.HandleFunc("POST /ledger/bundle", a.readPost("/ledger", a.bundle))
	mux.HandleFunc("POST /ledger/proof", a.readPost("/ledger", a.proof))
	mux.HandleFunc("GET /explain", s.signedIn(a.explainForm))
	mux.HandleFunc("POST /explain", a.readPost("/explain", a.explain))
}

// audit holds the DPO's and auditors' pages' state.
type audit struct {
	s *Server
	// verifying lets one "verify now" run at a time: it reads the whole
	// ledger.
	verifying sync.Mutex
}

// readPost runs h for a form posted by a signed-in person with the
// session's CSRF token (the CrossOriginProtection around every handler has
// refused cross-origin posts already). Unlike Server.post it does not
// take the write lock: these forms read (a verification only records its
// result). Without a session the browser goes to sign in and back to
// back (a GET page): the form is not replayed.
func (a *audit) readPost(back string, h handler) http.HandlerFunc {
	s := a.s
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.auth.Session(r)
		if err != nil {
			if !errors.Is(err, auth.ErrNoSession) {
				s.log.Error("reading the session failed", zap.String("route", route(r)), zap.Error(err))
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(back), http.StatusSeeOther)
			return
		}
		if !s.checkForm(w, r, sess) {
			return
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		pg := s.newPage(r, sess)
		status, name := h(w, r, sess, pg)
		if name != "" {
			s.render(w, status, name, pg)
		}
	}
}

// refused answers a Pipeline error on a page: a refusal of the person's
// role is 403 with its reason, anything else is logged.
func (a *audit) refused(r *http.Request, pg *page, err error) (int, string) {
	if errors.Is(err, scheduler.ErrNotAllowed) {
		status, msg := a.s.explain(r, pg.L, err)
		pg.Title, pg.Error = pg.L.T("err.title"), msg
		return status, "error"
	}
	return a.s.failed(r, pg, err)
}

// ctx is the request's context carrying the signed-in person's identity
// (how they signed in, and roles their identity provider gave), which the
// Pipeline's role checks read.
func (a *audit) ctx(r *http.Request, sess *auth.Session) (context.Context, context.CancelFunc) {
	return ctxTimeout(a.s.auth.Context(r.Context(), sess))
}

// stamp formats a time for the page, in the configured zone.
func (a *audit) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(a.s.config().Location).Format("2006-01-02 15:04")
}

// personName is a configured person's name, else their id.
func (a *audit) personName(id string) string {
	if who, ok := a.s.config().Person(id); ok && who.Name != "" {
		return who.Name
	}
	return id
}

// dashView is the dashboard.
type dashView struct {
	Today     string
	Overdue   chart
	OverRows  []overRow
	OverTotal string
	Months    chart
	MonthRows []monthRow
	Ages      chart
	AgeRows   []ageRow
	Waiting   []waitRow
	// MoreWaiting says how many waiting batches the table leaves out
	// (the chart counts them all).
	MoreWaiting string
	Sources     []sourceRow
	Failing     int
	FailingText string
}

type overRow struct{ Rule, Title, Unbatched, Waiting, Approved, Total string }
type monthRow struct{ Month, Deleted, Archived, Failed, Other string }
type ageRow struct{ Label, Batches string }
type waitRow struct {
	ID                        int64
	Rule, Status, Code, Items string
	Waited, Since             string
}
type sourceRow struct {
	Source, Kind, LastPlan, Running, Incomplete, Failed, Alerted string
	Failing                                                      bool
}

func (a *audit) dashboard(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	ctx, cancel := a.ctx(r, sess)
	defer cancel()
	l := pg.L
	pg.Title = l.T("dash.title")
	d, err := a.s.p.Dashboard(ctx, sess.Person)
	if err != nil {
		return a.refused(r, pg, err)
	}
	v := &dashView{Today: d.Today}

	var over []chartInput
	var total int64
	for _, o := range d.Overdue {
		over = append(over, chartInput{Label: o.Rule, Parts: []chartPart{
			{o.Waiting, "bar-a", l.T("dash.over.waiting")},
			{o.Approved, "bar-b", l.T("dash.over.approved")},
			{o.Unbatched, "bar-c", l.T("dash.over.unbatched")},
		}})
		v.OverRows = append(v.OverRows, overRow{o.Rule, o.Title, l.Number(o.Unbatched), l.Number(o.Waiting), l.Number(o.Approved), l.Number(o.Total())})
		total += o.Total()
	}
	v.OverTotal = l.Number(total)
	v.Overdue = barChart("chart-overdue", l.T("dash.over.title"), l.F("dash.over.desc", l.Number(total), len(d.Overdue)), over, l.Number)

	var months []chartInput
	var deleted int64
	for _, m := range d.Months {
		label := monthLabel(l, m.Month)
		months = append(months, chartInput{Label: label, Parts: []chartPart{{m.Deleted, "bar-a", l.T("dash.month.deleted")}}})
		v.MonthRows = append(v.MonthRows, monthRow{label, l.Number(m.Deleted), l.Number(m.Archived), l.Number(m.Failed), l.Number(m.Other)})
		deleted += m.Deleted
	}
	v.Months = barChart("chart-months", l.T("dash.month.title"), l.F("dash.month.desc", l.Number(deleted), len(d.Months)), months, l.Number)

	var ages []chartInput
	for i, n := range d.Ages {
		label := l.T("dash.age." + strconv.Itoa(i))
		ages = append(ages, chartInput{Label: label, Parts: []chartPart{{n, "bar-b", l.T("dash.wait.batches")}}})
		v.AgeRows = append(v.AgeRows, ageRow{label, l.Number(n)})
	}
	v.Ages = barChart("chart-ages", l.T("dash.wait.title"), l.F("dash.wait.desc", len(d.Waiting)), ages, l.Number)
	for i, b := range d.Waiting {
		if i == maxWaitingRows {
			v.MoreWaiting = l.F("dash.wait.more", len(d.Waiting)-i)
			break
		}
		v.Waiting = append(v.Waiting, waitRow{ID: b.ID, Rule: b.Rule, Status: l.T("status." + b.Status), Code: b.Status,
			Items: l.Number(b.Items - b.Withdrawn), Waited: waited(l, b.Waited), Since: a.stamp(b.CreatedAt.Time)})
	}

	// The daemon's alerts that a source could not be planned (the
	// operators' page reads them the same way).
	alerts, err := a.s.sourceFailures(ctx)
	if err != nil {
		return a.s.failed(r, pg, err)
	}
	for _, h := range d.Sources {
		row := sourceRow{Source: h.Source, Kind: h.Kind, LastPlan: a.stamp(h.LastPlan), Incomplete: safetext.Text(h.Incomplete), Failing: h.Failing()}
		planDay := ""
		if !h.LastPlan.IsZero() {
			planDay = h.LastPlan.In(a.s.config().Location).Format(time.DateOnly)
		}
		if day := alerts[h.Source]; day != "" && day >= planDay {
			row.Alerted, row.Failing = l.F("dash.src.alerted", day), true
		}
		if row.LastPlan == "" {
			row.LastPlan = l.T("dash.src.never")
		}
		if !h.Running.IsZero() {
			row.Running = l.F("dash.src.running", a.stamp(h.Running))
		}
		if h.Failed > 0 {
			row.Failed = l.F("dash.src.failed", l.Number(h.Failed), h.Batches)
		}
		if row.Failing {
			v.Failing++
		}
		v.Sources = append(v.Sources, row)
	}
	if v.Failing == 1 {
		v.FailingText = l.T("dash.src.failing_1")
	} else if v.Failing > 1 {
		v.FailingText = l.F("dash.src.failing", v.Failing)
	}
	pg.Data = v
	return http.StatusOK, "dashboard"
}

// maxWaitingRows is how many waiting batches the dashboard lists, the
// longest waiting first.
const maxWaitingRows = 50

// monthLabel is "nov. 2026" for "2026-11".
func monthLabel(l Locale, ym string) string {
	y, m, ok := strings.Cut(ym, "-")
	n, err := strconv.Atoi(m)
	if !ok || err != nil || n < 1 || n > 12 {
		return ym
	}
	return l.T("month."+strconv.Itoa(n)) + " " + y
}

// ledgerView is the ledger page.
type ledgerView struct {
	Origin, Size, Checkpoints string
	Latest, LatestAt, Root    string
	KeyID, KeyFingerprint     string
	Anchors                   []anchorRow
	Verify                    *verifyRow
	Evidence                  bool // the person may export and prove
	Exportable                bool // a checkpoint exists
	Sources                   []string
	From, To, Source, Item    string
}

type anchorRow struct{ Target, Size, At string }
type verifyRow struct {
	OK                       bool
	At, By, Entries, Message string
	Checkpoint               string
}

func (a *audit) ledger(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	if r.URL.Query().Get("done") == "verified" {
		pg.Notice = pg.L.T("ledger.verify.done")
	}
	return a.ledgerPage(r, sess, pg, nil)
}

// ledgerPage fills pg with the ledger page; form holds the values of a
// form that failed (nil: none).
func (a *audit) ledgerPage(r *http.Request, sess *auth.Session, pg *page, form map[string]string) (int, string) {
	ctx, cancel := a.ctx(r, sess)
	defer cancel()
	l := pg.L
	pg.Title = l.T("ledger.title")
	st, err := a.s.p.LedgerStatus(ctx, sess.Person)
	if err != nil {
		return a.refused(r, pg, err)
	}
	v := &ledgerView{Origin: st.Origin, Size: l.Number(st.Size), Checkpoints: l.Number(st.Checkpoints),
		KeyID: st.KeyID, KeyFingerprint: st.KeyFingerprint, Exportable: st.Latest.N > 0}
	if st.Latest.N > 0 {
		v.Latest, v.LatestAt, v.Root = l.Number(st.Latest.N), a.stamp(st.Latest.At.Time), st.Root
	}
	for _, an := range st.Anchors {
		v.Anchors = append(v.Anchors, anchorRow{Target: safetext.Text(an.Target), Size: l.Number(an.N), At: a.stamp(an.At.Time)})
	}
	if lv := st.LastVerify; lv != nil {
		v.Verify = &verifyRow{OK: lv.OK, At: a.stamp(lv.At.Time), By: a.personName(lv.Person), Entries: l.Number(lv.Entries),
			Checkpoint: l.Number(lv.Checkpoint), Message: safetext.Text(lv.Message)}
	}
	_, err = a.s.p.AuthorizeAny(ctx, sess.Person, scheduler.EvidenceRoles...)
	v.Evidence = err == nil
	for _, src := range a.s.config().Sources {
		if src.Kind.Name != "export" {
			v.Sources = append(v.Sources, src.Name)
		}
	}
	if form != nil {
		v.From, v.To, v.Source, v.Item = form["from"], form["to"], form["source"], form["item"]
	}
	pg.Data = v
	return http.StatusOK, "ledger"
}

// verify runs "verify now" and shows the ledger page with its result.
func (a *audit) verify(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	if !a.verifying.TryLock() {
		status, name := a.ledgerPage(r, sess, pg, nil)
		if name == "ledger" {
			pg.Error, status = pg.L.T("ledger.verify.running"), http.StatusConflict
		}
		return status, name
	}
	defer a.verifying.Unlock()
	// A verification of a large ledger takes a while; it is not cut
	// short by the page's timeout.
	if _, err := a.s.p.VerifyNow(a.s.auth.Context(r.Context(), sess), sess.Person); err != nil {
		return a.refused(r, pg, err)
	}
	http.Redirect(w, r, "/ledger?done=verified", http.StatusSeeOther)
	return 0, ""
}

// formError shows the ledger page again with msg and the form's values.
func (a *audit) formError(r *http.Request, sess *auth.Session, pg *page, status int, msg string) (int, string) {
	form := map[string]string{}
	for _, k := range []string{"from", "to", "source", "item"} {
		form[k] = r.PostForm.Get(k)
	}
	st, name := a.ledgerPage(r, sess, pg, form)
	if name != "ledger" {
		return st, name
	}
	pg.Error = msg
	return status, name
}

// bundle streams the evidence bundle (`ledger export`) of a period as a
// .tar.gz archive.
func (a *audit) bundle(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	l := pg.L
	loc := a.s.config().Location
	var from, to time.Time
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := strings.TrimSpace(r.PostForm.Get(f.key)); v != "" {
			t, err := time.ParseInLocation(time.DateOnly, v, loc)
			if err != nil {
				return a.formError(r, sess, pg, http.StatusBadRequest, l.F("err.date", v))
			}
			*f.t = t
		}
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return a.formError(r, sess, pg, http.StatusBadRequest, l.T("ledger.bundle.period"))
	}
	ctx := a.s.auth.Context(r.Context(), sess)
	b, err := a.s.p.ExportBundle(ctx, sess.Person, from, to)
	if err != nil {
		if errors.Is(err, scheduler.ErrNotAllowed) {
			return a.refused(r, pg, err)
		}
		a.s.log.Error("console export failed", zap.String("route", route(r)), zap.Error(err))
		return a.formError(r, sess, pg, http.StatusInternalServerError, l.T("ledger.bundle.failed"))
	}
	defer b.Close()
	h := w.Header()
	h.Set("Content-Type", "application/gzip")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.tar.gz"`, b.Name))
	h.Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := b.Archive(ctx, bw); err != nil {
		// Too late for another status: the download ends short, and
		// the archive does not unpack.
		a.s.log.Error("console export stopped", zap.String("route", route(r)), zap.Error(err))
		return 0, ""
	}
	bw.Flush()
	a.s.log.Info("evidence bundle downloaded", zap.Int64("entries", b.Entries), zap.Int64("checkpoint", b.Checkpoint))
	return 0, ""
}

// fileName keeps what a download's file name may hold.
var fileName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// proof downloads the .tlog-proof of an item's latest deletion entry.
func (a *audit) proof(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	l := pg.L
	source := strings.TrimSpace(r.PostForm.Get("source"))
	// A path is taken as typed (a name may end in a space); only a line
	// break a paste brought is dropped.
	item := strings.Trim(r.PostForm.Get("item"), "\r\n")
	if source == "" || strings.TrimSpace(item) == "" {
		return a.formError(r, sess, pg, http.StatusBadRequest, l.T("ledger.proof.missing"))
	}
	ctx, cancel := a.ctx(r, sess)
	defer cancel()
	pf, err := a.s.p.ProveItem(ctx, sess.Person, source, item)
	switch {
	case err == nil:
	case errors.Is(err, scheduler.ErrNotAllowed):
		return a.refused(r, pg, err)
	case errors.Is(err, scheduler.ErrNoEntry):
		return a.formError(r, sess, pg, http.StatusNotFound, l.T("ledger.proof.none"))
	case errors.Is(err, scheduler.ErrNoDeletion):
		return a.formError(r, sess, pg, http.StatusNotFound, l.T("ledger.proof.no_deletion"))
	case errors.Is(err, scheduler.ErrNotCheckpointed):
		return a.formError(r, sess, pg, http.StatusConflict, l.T("ledger.proof.later"))
	default:
		a.s.log.Error("console proof failed", zap.String("route", route(r)), zap.Error(err))
		return a.formError(r, sess, pg, http.StatusInternalServerError, l.T("err.internal"))
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-entry-%d.tlog-proof"`, fileName.ReplaceAllString(pf.Source, "_"), pf.Proven.Index))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(pf.Proof)
	a.s.log.Info("proof downloaded", zap.Int64("entry", pf.Proven.Index), zap.Int64("checkpoint", pf.Size))
	return 0, ""
}

// explainView is the person lookup page.
type explainView struct {
	Evidence bool // the person may look people up
	Key      string
	Asked    bool
	Report   *explainReport
	// Imports are the newest imports of the exports.
	Imports []importRow
}

type importRow struct{ At, Source, File, Rows, Status, Code, Note string }

// maxImports is how many imports the lookup page lists.
const maxImports = 10

// imports fills v's imports (`retentiond subjects imports`).
func (a *audit) imports(ctx context.Context, l Locale, person string, v *explainView) error {
	imps, err := a.s.p.ImportsFor(ctx, person, maxImports)
	if err != nil {
		return err
	}
	for _, i := range imps {
		v.Imports = append(v.Imports, importRow{At: a.stamp(i.ImportedAt.Time), Source: i.Source, File: safetext.Name(i.File),
			Rows: l.Number(i.Rows), Status: l.T("explain.import." + i.Status), Code: i.Status, Note: safetext.Text(strings.ReplaceAll(i.Note, "\n", " "))})
	}
	return nil
}

type explainReport struct {
	Key          string
	Known        bool
	Problem      string
	Facts        []factRow
	History      []historyRow
	Holds        []string
	Instructions []string
	Items        []explainItem
}

type factRow struct {
	Source string
	Facts  []string
}
type historyRow struct{ At, Source, File, Change string }
type explainItem struct{ Source, Path, Verdict, Rule, Due, Plan, Reason string }

func (a *audit) explainForm(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	pg.Title = pg.L.T("explain.title")
	ctx, cancel := a.ctx(r, sess)
	defer cancel()
	v := &explainView{Evidence: true}
	if err := a.imports(ctx, pg.L, sess.Person, v); err != nil {
		return a.refused(r, pg, err)
	}
	pg.Data = v
	return http.StatusOK, "explain"
}

// explain looks a person up, as `retentiond explain student:1001` does.
// What was asked and what was found stay in the page: the log says only
// that a lookup was made.
func (a *audit) explain(w http.ResponseWriter, r *http.Request, sess *auth.Session, pg *page) (int, string) {
	l := pg.L
	pg.Title = l.T("explain.title")
	key := strings.TrimSpace(r.PostForm.Get("key"))
	if len(key) > 320 {
		key = key[:320]
	}
	v := &explainView{Evidence: true, Key: key, Asked: true}
	pg.Data = v
	ctx, cancel := a.ctx(r, sess)
	defer cancel()
	// The imports first: they need the same roles as a lookup, so a
	// person without them is refused before anything is looked up.
	if err := a.imports(ctx, l, sess.Person, v); err != nil {
		return a.refused(r, pg, err)
	}
	if key == "" {
		pg.Error = l.T("explain.missing")
		return http.StatusBadRequest, "explain"
	}
	if kind, id, ok := strings.Cut(key, ":"); !strings.Contains(key, "@") && (!ok || kind == "" || id == "") {
		pg.Error = l.T("explain.bad_key")
		return http.StatusBadRequest, "explain"
	}
	rep, err := a.s.p.ExplainSubjectFor(ctx, sess.Person, key)
	a.s.log.Info("person looked up", zap.Bool("found", err == nil))
	switch {
	case err == nil:
	case errors.Is(err, scheduler.ErrNotAllowed):
		return a.refused(r, pg, err)
	case errors.Is(err, scheduler.ErrUnknownSubject):
		pg.Error = l.T("explain.unknown")
		return http.StatusNotFound, "explain"
	case strings.HasPrefix(err.Error(), strconv.Quote(key)+": name a person"):
		pg.Error = l.T("explain.bad_key")
		return http.StatusBadRequest, "explain"
	default:
		return a.s.failed(r, pg, err)
	}
	x := &explainReport{Key: rep.Key, Known: rep.Known}
	if rep.Known && rep.Merged.Problem != "" {
		x.Problem = safetext.Text(rep.Merged.Problem)
	}
	for _, f := range rep.Facts {
		row := factRow{Source: f.Source}
		for _, kv := range [][2]string{{"started", f.Started}, {"left", f.Left}, {"born", f.Born}, {"case_closed", f.CaseClosed}, {"email", f.Email}} {
			if kv[1] != "" {
				row.Facts = append(row.Facts, l.F("explain.fact."+kv[0], safetext.Text(kv[1])))
			}
		}
		if f.Manager != nil {
			row.Facts = append(row.Facts, l.F("explain.fact.manager", l.T(yesNo(*f.Manager))))
		}
		if f.PendingCase != nil {
			row.Facts = append(row.Facts, l.F("explain.fact.pending_case", l.T(yesNo(*f.PendingCase))))
		}
		x.Facts = append(x.Facts, row)
	}
	for _, c := range rep.History {
		x.History = append(x.History, historyRow{At: a.stamp(c.ImportedAt.Time), Source: c.Source, File: safetext.Name(c.File), Change: change(l, c.Field, c.Old, c.New)})
	}
	for _, h := range rep.Holds {
		x.Holds = append(x.Holds, l.F("explain.hold", h.ID, safetext.Text(h.Reason), a.personName(h.Owner)))
	}
	for _, ln := range rep.Instructions {
		state := l.T("explain.instr.open")
		switch {
		case ln.WithdrawnAt != nil:
			state = l.F("explain.instr.withdrawn", a.stamp(ln.WithdrawnAt.Time))
		case ln.ConfirmedAt != nil:
			state = l.F("explain.instr.confirmed", a.stamp(ln.ConfirmedAt.Time))
		}
		x.Instructions = append(x.Instructions, l.F("explain.instr", ln.Instruction, ln.System, ln.Rule, ln.Due, state))
	}
	for _, it := range rep.Items {
		due := it.Due
		if due == "" {
			due = l.T("explain.due_unknown")
		}
		verdict := l.T("verdict." + it.Verdict)
		if strings.HasPrefix(verdict, "verdict.") {
			verdict = it.Verdict
		}
		x.Items = append(x.Items, explainItem{Source: it.Source, Path: safetext.Name(it.Ref), Verdict: verdict, Rule: it.Rule, Due: due,
			Plan: l.F("explain.plan", it.Plan, it.PlanDay), Reason: safetext.Text(it.Reason)})
	}
	v.Report = x
	return http.StatusOK, "explain"
}

func yesNo(b bool) string {
	if b {
		return "explain.yes"
	}
	return "explain.no"
}

// change describes one change an import made to a person.
func change(l Locale, field, old, new string) string {
	old, new = safetext.Text(old), safetext.Text(new)
	if field == "listed" {
		switch {
		case old == "":
			return l.T("explain.change.first")
		case new == "no":
			return l.T("explain.change.gone")
		}
		return l.T("explain.change.again")
	}
	field = strings.ReplaceAll(field, "_", " ")
	switch {
	case old == "":
		return l.F("explain.change.set", field, new)
	case new == "":
		return l.F("explain.change.unset", field, old)
	}
	return l.F("explain.change.changed", field, old, new)
}

// dashboardWords are the dashboard's, the ledger page's and the person
// lookup's words (merged into catalog). The glossary's words: sletteprotokol
// / gallringslogg (ledger), dokumentationspakke / granskningsunderlag
// (evidence bundle), kontrollér / kontrollera (verify), slettefrist
// overskredet / gallringsfrist passerad (overdue).
var dashboardWords = map[string]map[string]string{
	"da": {
		"nav.ledger":                "Sletteprotokol",
		"dash.title":                "Oversigt",
		"dash.intro":                "Tal fra sletteplanerne, slettelisterne og sletteprotokollen i dag, %s.",
		"dash.to_ledger":            "Se sletteprotokollens status.",
		"dash.total":                "I alt",
		"dash.as_table":             "Vis tallene som tabel",
		"dash.since":                "siden %s",
		"dash.over.title":           "Slettefrist overskredet, pr. sletteregel",
		"dash.over.intro":           "Elementer, som den seneste sletteplan for hver kilde fandt skulle slettes (eller arkiveres), og som ikke er slettet endnu: på en sletteliste, der afventer godkendelse, på en godkendt liste, der endnu ikke er udført, eller på ingen liste.",
		"dash.over.desc":            "%s elementer under %d sletteregler. Tallene står i tabellen under diagrammet.",
		"dash.over.waiting":         "afventer godkendelse",
		"dash.over.approved":        "godkendt, ikke udført",
		"dash.over.unbatched":       "på ingen sletteliste",
		"dash.over.none":            "Ingen elementer har overskredet slettefristen.",
		"dash.month":                "Måned",
		"dash.month.title":          "Sletninger pr. måned",
		"dash.month.intro":          "Elementer slettet ifølge sletteprotokollen, de seneste 12 måneder. Tabellen viser også arkiverede, fejlede og elementer, der blev ladt i fred (ændret, væk, blokeret).",
		"dash.month.desc":           "%s elementer slettet i de seneste %d måneder. Tallene pr. måned står i tabellen under diagrammet.",
		"dash.month.deleted":        "slettet",
		"dash.month.archived":       "arkiveret",
		"dash.month.failed":         "fejlet",
		"dash.month.other":          "ladt i fred",
		"dash.wait.title":           "Slettelister, der venter",
		"dash.wait.intro":           "Slettelister, der afventer IT-drift (store lister), godkendelse eller udførelse, efter hvor længe de har ventet.",
		"dash.wait.desc":            "%d slettelister venter, fordelt på hvor længe. Listerne står i tabellen under diagrammet.",
		"dash.wait.batches":         "slettelister",
		"dash.wait.more":            "Og %d slettelister mere, der har ventet kortere.",
		"dash.wait.none":            "Ingen sletteliste venter.",
		"dash.age.0":                "under 1 dag",
		"dash.age.1":                "1–7 dage",
		"dash.age.2":                "7–30 dage",
		"dash.age.3":                "over 30 dage",
		"dash.src.title":            "Kilder",
		"dash.src.failing":          "%d kilder kræver IT-drifts opmærksomhed.",
		"dash.src.failing_1":        "Én kilde kræver IT-drifts opmærksomhed.",
		"dash.src.ok_all":           "Alle kilder blev gennemgået helt ved seneste sletteplan, og ingen sletning fejlede de seneste 30 dage.",
		"dash.src.last_plan":        "Seneste sletteplan",
		"dash.src.problems":         "Problemer",
		"dash.src.failing_one":      "fejler",
		"dash.src.ok":               "i orden",
		"dash.src.incomplete":       "Kunne ikke gennemgås helt: %s",
		"dash.src.never":            "aldrig",
		"dash.src.alerted":          "IT-drift fik besked om, at kilden ikke kunne gennemgås (%s).",
		"dash.src.running":          "En nyere sletteplan fra %s blev ikke færdig.",
		"dash.src.failed":           "%s elementer kunne ikke slettes (%d slettelister, seneste 30 dage)",
		"month.1":                   "jan.",
		"month.2":                   "feb.",
		"month.3":                   "mar.",
		"month.4":                   "apr.",
		"month.5":                   "maj",
		"month.6":                   "jun.",
		"month.7":                   "jul.",
		"month.8":                   "aug.",
		"month.9":                   "sep.",
		"month.10":                  "okt.",
		"month.11":                  "nov.",
		"month.12":                  "dec.",
		"ledger.title":              "Sletteprotokol",
		"ledger.intro":              "Sletteprotokollen er den signerede, manipulationssikre liste over alt, hvad retentiond har besluttet og slettet. Den indeholder ingen personoplysninger.",
		"ledger.status":             "Status",
		"ledger.origin":             "Protokol",
		"ledger.size":               "Størrelse",
		"ledger.entries":            "%s poster",
		"ledger.checkpoint":         "Seneste kontrolpunkt",
		"ledger.checkpoint.of":      "dækker %s poster, signeret %s",
		"ledger.checkpoints":        "%s kontrolpunkter i alt",
		"ledger.checkpoint.none":    "Der er endnu ikke signeret noget kontrolpunkt.",
		"ledger.root":               "Rodhash",
		"ledger.key":                "Signeringsnøgle",
		"ledger.fingerprint":        "Nøglens fingeraftryk (SSH)",
		"ledger.anchored":           "Forankret",
		"ledger.anchor":             "%s: kontrolpunkt for %s poster, %s",
		"ledger.anchored.none":      "Intet kontrolpunkt er sendt ud af serveren endnu.",
		"ledger.verify":             "Kontrollér sletteprotokollen",
		"ledger.verify.intro":       "Læser hele protokollen igen og kontrollerer hver post, hvert kontrolpunkts signatur og rodhash, som retentiond ledger verify gør. Intet ændres; kun resultatet gemmes.",
		"ledger.verify.button":      "Kontrollér nu",
		"ledger.verify.done":        "Kontrollen er færdig.",
		"ledger.verify.running":     "En kontrol kører allerede. Vent, til den er færdig.",
		"ledger.verify.ok":          "Kontrolleret: i orden.",
		"ledger.verify.ok_detail":   "%s poster, seneste kontrolpunkt dækker %s.",
		"ledger.verify.failed":      "Kontrollen FEJLEDE.",
		"ledger.verify.when":        "%s af %s",
		"ledger.verify.never":       "Sletteprotokollen er ikke kontrolleret fra konsollen endnu.",
		"ledger.bundle":             "Dokumentationspakke",
		"ledger.bundle.intro":       "Hent protokollens poster, kontrolpunkter, nøgler, politikker og et resumé for en periode som ét arkiv (.tar.gz). Pakken indeholder ingen personoplysninger og kan kontrolleres på enhver maskine.",
		"ledger.bundle.from":        "Fra (første dag, valgfri)",
		"ledger.bundle.to":          "Til (dagen efter den sidste, valgfri)",
		"ledger.bundle.button":      "Hent dokumentationspakke",
		"ledger.bundle.verify":      "Pak arkivet ud, og kontrollér det med",
		"ledger.bundle.period":      "Periodens første dag skal ligge før dens slutning.",
		"ledger.bundle.failed":      "Dokumentationspakken kunne ikke laves. IT-drift kan se årsagen i loggen.",
		"ledger.proof":              "Bevis for ét element",
		"ledger.proof.intro":        "Blev dette element slettet? Skriv stien under kildens rod (med /). Du får en .tlog-proof-fil, som beviser elementets seneste sletning i den signerede protokol og kun viser den post.",
		"ledger.proof.item":         "Sti eller id",
		"ledger.proof.button":       "Hent bevis",
		"ledger.proof.verify":       "Kontrollér beviset med",
		"ledger.proof.missing":      "Vælg kilden, og skriv elementets sti.",
		"ledger.proof.none":         "Sletteprotokollen har ingen post om dette element: retentiond har aldrig slettet, blokeret eller sprunget det over. Kontrollér stavemåden (stien under roden, med /).",
		"ledger.proof.no_deletion":  "Sletteprotokollen har poster om elementet, men ingen sletning.",
		"ledger.proof.later":        "Elementets sletning er nyere end det seneste signerede kontrolpunkt. Prøv igen senere.",
		"ledger.to_explain":         "Slå en person op",
		"explain.title":             "Slå en person op",
		"explain.imports":           "Indlæste eksporter",
		"explain.imports.intro":     "De seneste indlæsninger af eksportfilerne fra skolesystemerne (som retentiond subjects imports viser dem). En afvist eksport ændrer intet: oplysningerne fra den forrige gælder fortsat.",
		"explain.import.applied":    "indlæst",
		"explain.import.refused":    "afvist",
		"explain.rows":              "Rækker",
		"explain.note":              "Bemærkning",
		"explain.imports.none":      "Ingen eksport er indlæst endnu.",
		"explain.intro":             "Hvad eksportfilerne fra skolesystemerne siger om en person, sletteblokeringer og hvert element, de seneste sletteplaner knytter til personen, med sletteregel og slettefrist. Opslaget vises kun her; det kommer ikke i adresselinjen.",
		"explain.key":               "Person",
		"explain.key.help":          "Som student:1001, staff:4711 eller en e-mailadresse fra eksporten.",
		"explain.button":            "Slå op",
		"explain.missing":           "Skriv, hvem du vil slå op.",
		"explain.unknown":           "Intet er kendt om denne person: ingen eksport nævner personen, og intet planlagt element er knyttet til personen.",
		"explain.bad_key":           "Skriv personen som type:id (student:1001, staff:4711) eller som e-mailadresse.",
		"explain.about":             "Om %s",
		"explain.flagged":           "MARKERET – intet om personen slettes: %s",
		"explain.facts":             "Fra eksportfilerne",
		"explain.from":              "Fra %s:",
		"explain.no_facts":          "Ikke i nogen eksport fra skolesystemerne.",
		"explain.fact.started":      "startet %s",
		"explain.fact.left":         "stoppet %s",
		"explain.fact.born":         "født %s",
		"explain.fact.case_closed":  "sag afsluttet %s",
		"explain.fact.email":        "e-mail %s",
		"explain.fact.manager":      "leder: %s",
		"explain.fact.pending_case": "verserende sag: %s",
		"explain.yes":               "ja",
		"explain.no":                "nej",
		"explain.history":           "Historik",
		"explain.when":              "Hvornår",
		"explain.file":              "Fil",
		"explain.change":            "Ændring",
		"explain.change.first":      "første gang med",
		"explain.change.gone":       "ikke længere med",
		"explain.change.again":      "med igen",
		"explain.change.set":        "%s sat til %s",
		"explain.change.unset":      "%s %s trukket tilbage",
		"explain.change.changed":    "%s ændret fra %s til %s",
		"explain.holds":             "Sletteblokeringer",
		"explain.hold":              "Sletteblokering %s: %s (ansvarlig %s)",
		"explain.instructions":      "Sletteinstrukser",
		"explain.instr":             "Sletteinstruks %s til %s: %s, slet senest %s (%s)",
		"explain.instr.open":        "ikke bekræftet",
		"explain.instr.confirmed":   "bekræftet %s",
		"explain.instr.withdrawn":   "trukket tilbage %s af en sletteblokering: skal ikke udføres",
		"explain.items":             "Elementer",
		"explain.no_items":          "Intet planlagt element er knyttet til personen.",
		"explain.verdict":           "Vurdering",
		"explain.due_unknown":       "endnu ikke kendt",
		"explain.plan":              "sletteplan %d af %s",
		"verdict.due":               "skal slettes",
		"verdict.keep":              "beholdes",
		"verdict.review":            "skal vurderes",
		"verdict.held":              "blokeret",
		"verdict.archive":           "skal arkiveres",
	},
	"sv": {
		"nav.ledger":                "Gallringslogg",
		"dash.title":                "Översikt",
		"dash.intro":                "Siffror från gallringsplanerna, gallringslistorna och gallringsloggen i dag, %s.",
		"dash.to_ledger":            "Se gallringsloggens status.",
		"dash.total":                "Totalt",
		"dash.as_table":             "Visa siffrorna som tabell",
		"dash.since":                "sedan %s",
		"dash.over.title":           "Gallringsfrist passerad, per gallringsregel",
		"dash.over.intro":           "Objekt som den senaste gallringsplanen för varje källa fann skulle gallras (eller arkiveras) och som inte har raderats ännu: på en gallringslista som väntar på godkännande, på en godkänd lista som inte körts ännu, eller på ingen lista.",
		"dash.over.desc":            "%s objekt under %d gallringsregler. Siffrorna står i tabellen under diagrammet.",
		"dash.over.waiting":         "väntar på godkännande",
		"dash.over.approved":        "godkänd, inte körd",
		"dash.over.unbatched":       "på ingen gallringslista",
		"dash.over.none":            "Inga objekt har passerat gallringsfristen.",
		"dash.month":                "Månad",
		"dash.month.title":          "Raderingar per månad",
		"dash.month.intro":          "Objekt raderade enligt gallringsloggen, de senaste 12 månaderna. Tabellen visar även arkiverade, misslyckade och objekt som lämnades orörda (ändrade, borta, spärrade).",
		"dash.month.desc":           "%s objekt raderade de senaste %d månaderna. Siffrorna per månad står i tabellen under diagrammet.",
		"dash.month.deleted":        "raderade",
		"dash.month.archived":       "arkiverade",
		"dash.month.failed":         "misslyckade",
		"dash.month.other":          "orörda",
		"dash.wait.title":           "Gallringslistor som väntar",
		"dash.wait.intro":           "Gallringslistor som väntar på IT-drift (stora listor), godkännande eller körning, efter hur länge de har väntat.",
		"dash.wait.desc":            "%d gallringslistor väntar, fördelade efter hur länge. Listorna står i tabellen under diagrammet.",
		"dash.wait.batches":         "gallringslistor",
		"dash.wait.more":            "Och %d gallringslistor till, som har väntat kortare.",
		"dash.wait.none":            "Ingen gallringslista väntar.",
		"dash.age.0":                "under 1 dag",
		"dash.age.1":                "1–7 dagar",
		"dash.age.2":                "7–30 dagar",
		"dash.age.3":                "över 30 dagar",
		"dash.src.title":            "Källor",
		"dash.src.failing":          "%d källor behöver IT-drifts uppmärksamhet.",
		"dash.src.failing_1":        "En källa behöver IT-drifts uppmärksamhet.",
		"dash.src.ok_all":           "Alla källor gicks igenom helt vid senaste gallringsplan, och ingen radering misslyckades de senaste 30 dagarna.",
		"dash.src.last_plan":        "Senaste gallringsplan",
		"dash.src.problems":         "Problem",
		"dash.src.failing_one":      "fel",
		"dash.src.ok":               "i ordning",
		"dash.src.incomplete":       "Kunde inte gås igenom helt: %s",
		"dash.src.never":            "aldrig",
		"dash.src.alerted":          "IT-drift fick besked om att källan inte kunde gås igenom (%s).",
		"dash.src.running":          "En nyare gallringsplan från %s blev inte klar.",
		"dash.src.failed":           "%s objekt kunde inte raderas (%d gallringslistor, senaste 30 dagarna)",
		"month.1":                   "jan.",
		"month.2":                   "feb.",
		"month.3":                   "mars",
		"month.4":                   "apr.",
		"month.5":                   "maj",
		"month.6":                   "juni",
		"month.7":                   "juli",
		"month.8":                   "aug.",
		"month.9":                   "sep.",
		"month.10":                  "okt.",
		"month.11":                  "nov.",
		"month.12":                  "dec.",
		"ledger.title":              "Gallringslogg",
		"ledger.intro":              "Gallringsloggen är den signerade, manipuleringssäkra förteckningen över allt retentiond har beslutat och raderat. Den innehåller inga personuppgifter.",
		"ledger.status":             "Status",
		"ledger.origin":             "Logg",
		"ledger.size":               "Storlek",
		"ledger.entries":            "%s poster",
		"ledger.checkpoint":         "Senaste kontrollpunkt",
		"ledger.checkpoint.of":      "täcker %s poster, signerad %s",
		"ledger.checkpoints":        "%s kontrollpunkter totalt",
		"ledger.checkpoint.none":    "Ingen kontrollpunkt har signerats ännu.",
		"ledger.root":               "Rothash",
		"ledger.key":                "Signeringsnyckel",
		"ledger.fingerprint":        "Nyckelns fingeravtryck (SSH)",
		"ledger.anchored":           "Förankrad",
		"ledger.anchor":             "%s: kontrollpunkt för %s poster, %s",
		"ledger.anchored.none":      "Ingen kontrollpunkt har skickats ut från servern ännu.",
		"ledger.verify":             "Kontrollera gallringsloggen",
		"ledger.verify.intro":       "Läser hela loggen igen och kontrollerar varje post, varje kontrollpunkts signatur och rothash, som retentiond ledger verify gör. Inget ändras; bara resultatet sparas.",
		"ledger.verify.button":      "Kontrollera nu",
		"ledger.verify.done":        "Kontrollen är klar.",
		"ledger.verify.running":     "En kontroll pågår redan. Vänta tills den är klar.",
		"ledger.verify.ok":          "Kontrollerad: i ordning.",
		"ledger.verify.ok_detail":   "%s poster, senaste kontrollpunkten täcker %s.",
		"ledger.verify.failed":      "Kontrollen MISSLYCKADES.",
		"ledger.verify.when":        "%s av %s",
		"ledger.verify.never":       "Gallringsloggen har inte kontrollerats från konsolen ännu.",
		"ledger.bundle":             "Granskningsunderlag",
		"ledger.bundle.intro":       "Hämta loggens poster, kontrollpunkter, nycklar, policyer och en sammanfattning för en period som ett arkiv (.tar.gz). Underlaget innehåller inga personuppgifter och kan kontrolleras på vilken dator som helst.",
		"ledger.bundle.from":        "Från (första dagen, valfri)",
		"ledger.bundle.to":          "Till (dagen efter den sista, valfri)",
		"ledger.bundle.button":      "Hämta granskningsunderlag",
		"ledger.bundle.verify":      "Packa upp arkivet och kontrollera det med",
		"ledger.bundle.period":      "Periodens första dag måste ligga före dess slut.",
		"ledger.bundle.failed":      "Granskningsunderlaget kunde inte skapas. IT-drift kan se orsaken i loggen.",
		"ledger.proof":              "Bevis för ett objekt",
		"ledger.proof.intro":        "Raderades det här objektet? Skriv sökvägen under källans rot (med /). Du får en .tlog-proof-fil som bevisar objektets senaste radering i den signerade loggen och bara visar den posten.",
		"ledger.proof.item":         "Sökväg eller id",
		"ledger.proof.button":       "Hämta bevis",
		"ledger.proof.verify":       "Kontrollera beviset med",
		"ledger.proof.missing":      "Välj källan och skriv objektets sökväg.",
		"ledger.proof.none":         "Gallringsloggen har ingen post om objektet: retentiond har aldrig raderat, spärrat eller hoppat över det. Kontrollera stavningen (sökvägen under roten, med /).",
		"ledger.proof.no_deletion":  "Gallringsloggen har poster om objektet, men ingen radering.",
		"ledger.proof.later":        "Objektets radering är nyare än den senaste signerade kontrollpunkten. Försök igen senare.",
		"ledger.to_explain":         "Slå upp en person",
		"explain.title":             "Slå upp en person",
		"explain.imports":           "Inlästa exporter",
		"explain.imports.intro":     "De senaste inläsningarna av exportfilerna från skolsystemen (som retentiond subjects imports visar dem). En avvisad export ändrar inget: uppgifterna från den förra gäller fortfarande.",
		"explain.import.applied":    "inläst",
		"explain.import.refused":    "avvisad",
		"explain.rows":              "Rader",
		"explain.note":              "Anmärkning",
		"explain.imports.none":      "Ingen export har lästs in ännu.",
		"explain.intro":             "Vad exportfilerna från skolsystemen säger om en person, bevarandespärrar och varje objekt som de senaste gallringsplanerna knyter till personen, med gallringsregel och gallringsfrist. Uppslaget visas bara här; det hamnar inte i adressfältet.",
		"explain.key":               "Person",
		"explain.key.help":          "Som student:1001, staff:4711 eller en e-postadress från exporten.",
		"explain.button":            "Slå upp",
		"explain.missing":           "Skriv vem du vill slå upp.",
		"explain.unknown":           "Inget är känt om den här personen: ingen export nämner personen och inget planerat objekt är knutet till personen.",
		"explain.bad_key":           "Skriv personen som typ:id (student:1001, staff:4711) eller som e-postadress.",
		"explain.about":             "Om %s",
		"explain.flagged":           "FLAGGAD – inget om personen gallras: %s",
		"explain.facts":             "Från exportfilerna",
		"explain.from":              "Från %s:",
		"explain.no_facts":          "Inte i någon export från skolsystemen.",
		"explain.fact.started":      "började %s",
		"explain.fact.left":         "slutade %s",
		"explain.fact.born":         "född %s",
		"explain.fact.case_closed":  "ärende avslutat %s",
		"explain.fact.email":        "e-post %s",
		"explain.fact.manager":      "chef: %s",
		"explain.fact.pending_case": "pågående ärende: %s",
		"explain.yes":               "ja",
		"explain.no":                "nej",
		"explain.history":           "Historik",
		"explain.when":              "När",
		"explain.file":              "Fil",
		"explain.change":            "Ändring",
		"explain.change.first":      "första gången med",
		"explain.change.gone":       "inte längre med",
		"explain.change.again":      "med igen",
		"explain.change.set":        "%s satt till %s",
		"explain.change.unset":      "%s %s tillbakadraget",
		"explain.change.changed":    "%s ändrat från %s till %s",
		"explain.holds":             "Bevarandespärrar",
		"explain.hold":              "Bevarandespärr %s: %s (ansvarig %s)",
		"explain.instructions":      "Gallringsinstruktioner",
		"explain.instr":             "Gallringsinstruktion %s till %s: %s, gallra senast %s (%s)",
		"explain.instr.open":        "inte bekräftad",
		"explain.instr.confirmed":   "bekräftad %s",
		"explain.instr.withdrawn":   "tillbakadragen %s av en bevarandespärr: ska inte utföras",
		"explain.items":             "Objekt",
		"explain.no_items":          "Inget planerat objekt är knutet till personen.",
		"explain.verdict":           "Bedömning",
		"explain.due_unknown":       "inte känt ännu",
		"explain.plan":              "gallringsplan %d för %s",
		"verdict.due":               "ska gallras",
		"verdict.keep":              "bevaras",
		"verdict.review":            "ska bedömas",
		"verdict.held":              "spärrad",
		"verdict.archive":           "ska arkiveras",
	},
	"en": {
		"nav.ledger":                "Ledger",
		"dash.title":                "Dashboard",
		"dash.intro":                "Figures from the plans, the batches and the ledger today, %s.",
		"dash.to_ledger":            "See the ledger's status.",
		"dash.total":                "Total",
		"dash.as_table":             "Show the figures as a table",
		"dash.since":                "since %s",
		"dash.over.title":           "Overdue items per retention rule",
		"dash.over.intro":           "Items the latest plan of each source found due for deletion (or archiving) that are not deleted yet: in a batch waiting for approval, in an approved batch not yet executed, or in no batch.",
		"dash.over.desc":            "%s items under %d retention rules. The figures are in the table below the chart.",
		"dash.over.waiting":         "waiting for approval",
		"dash.over.approved":        "approved, not executed",
		"dash.over.unbatched":       "in no batch",
		"dash.over.none":            "No item is overdue.",
		"dash.month":                "Month",
		"dash.month.title":          "Deletions per month",
		"dash.month.intro":          "Items deleted according to the ledger, the last 12 months. The table also shows items archived, failed and left alone (changed, gone, held).",
		"dash.month.desc":           "%s items deleted in the last %d months. The figures per month are in the table below the chart.",
		"dash.month.deleted":        "deleted",
		"dash.month.archived":       "archived",
		"dash.month.failed":         "failed",
		"dash.month.other":          "left alone",
		"dash.wait.title":           "Batches waiting",
		"dash.wait.intro":           "Batches waiting for an operator (large batches), for approval or for execution, by how long they have waited.",
		"dash.wait.desc":            "%d batches are waiting, grouped by how long. The batches are in the table below the chart.",
		"dash.wait.batches":         "batches",
		"dash.wait.more":            "And %d more batches that have waited less long.",
		"dash.wait.none":            "No batch is waiting.",
		"dash.age.0":                "under 1 day",
		"dash.age.1":                "1–7 days",
		"dash.age.2":                "7–30 days",
		"dash.age.3":                "over 30 days",
		"dash.src.title":            "Sources",
		"dash.src.failing":          "%d sources need an operator's attention.",
		"dash.src.failing_1":        "One source needs an operator's attention.",
		"dash.src.ok_all":           "Every source was listed completely by its latest plan, and no deletion failed in the last 30 days.",
		"dash.src.last_plan":        "Latest plan",
		"dash.src.problems":         "Problems",
		"dash.src.failing_one":      "failing",
		"dash.src.ok":               "OK",
		"dash.src.incomplete":       "Could not be listed completely: %s",
		"dash.src.never":            "never",
		"dash.src.alerted":          "Operators were alerted that the source could not be planned (%s).",
		"dash.src.running":          "A newer plan begun %s did not complete.",
		"dash.src.failed":           "%s items could not be deleted (%d batches, last 30 days)",
		"month.1":                   "Jan",
		"month.2":                   "Feb",
		"month.3":                   "Mar",
		"month.4":                   "Apr",
		"month.5":                   "May",
		"month.6":                   "Jun",
		"month.7":                   "Jul",
		"month.8":                   "Aug",
		"month.9":                   "Sep",
		"month.10":                  "Oct",
		"month.11":                  "Nov",
		"month.12":                  "Dec",
		"ledger.title":              "Ledger",
		"ledger.intro":              "The ledger is the signed, tamper-evident record of everything retentiond decided and deleted. It holds no personal data.",
		"ledger.status":             "Status",
		"ledger.origin":             "Ledger",
		"ledger.size":               "Size",
		"ledger.entries":            "%s entries",
		"ledger.checkpoint":         "Latest checkpoint",
		"ledger.checkpoint.of":      "covers %s entries, signed %s",
		"ledger.checkpoints":        "%s checkpoints in all",
		"ledger.checkpoint.none":    "No checkpoint has been signed yet.",
		"ledger.root":               "Root hash",
		"ledger.key":                "Signing key",
		"ledger.fingerprint":        "Key fingerprint (SSH)",
		"ledger.anchored":           "Anchored",
		"ledger.anchor":             "%s: checkpoint of %s entries, %s",
		"ledger.anchored.none":      "No checkpoint has been sent out of the server yet.",
		"ledger.verify":             "Verify the ledger",
		"ledger.verify.intro":       "Reads the whole ledger again and checks every entry, every checkpoint's signature and root hash, as retentiond ledger verify does. Nothing changes; only the result is recorded.",
		"ledger.verify.button":      "Verify now",
		"ledger.verify.done":        "The verification has finished.",
		"ledger.verify.running":     "A verification is running already. Wait until it has finished.",
		"ledger.verify.ok":          "Verified: OK.",
		"ledger.verify.ok_detail":   "%s entries, the latest checkpoint covers %s.",
		"ledger.verify.failed":      "Verification FAILED.",
		"ledger.verify.when":        "%s by %s",
		"ledger.verify.never":       "The ledger has not been verified from the console yet.",
		"ledger.bundle":             "Evidence bundle",
		"ledger.bundle.intro":       "Download the ledger's entries, checkpoints, keys, policies and a summary for a period as one archive (.tar.gz). The bundle holds no personal data and can be verified on any machine.",
		"ledger.bundle.from":        "From (first day, optional)",
		"ledger.bundle.to":          "To (the day after the last, optional)",
		"ledger.bundle.button":      "Download evidence bundle",
		"ledger.bundle.verify":      "Unpack the archive and verify it with",
		"ledger.bundle.period":      "The period's first day must be before its end.",
		"ledger.bundle.failed":      "The evidence bundle could not be made. Operators can see why in the log.",
		"ledger.proof":              "Proof for one item",
		"ledger.proof.intro":        "Was this item deleted? Give its path below the source's root (with /). You get a .tlog-proof file that proves the item's latest deletion in the signed ledger and reveals only that entry.",
		"ledger.proof.item":         "Path or id",
		"ledger.proof.button":       "Download proof",
		"ledger.proof.verify":       "Check the proof with",
		"ledger.proof.missing":      "Choose the source and give the item's path.",
		"ledger.proof.none":         "The ledger has no entry about this item: retentiond never deleted, held or skipped it. Check the spelling (the path below the root, with /).",
		"ledger.proof.no_deletion":  "The ledger has entries about the item, but no deletion.",
		"ledger.proof.later":        "The item's deletion is newer than the latest signed checkpoint. Try again later.",
		"ledger.to_explain":         "Look a person up",
		"explain.title":             "Look a person up",
		"explain.imports":           "Exports imported",
		"explain.imports.intro":     "The latest imports of the school systems' exports (as retentiond subjects imports lists them). A refused export changes nothing: the facts of the previous one stay in force.",
		"explain.import.applied":    "applied",
		"explain.import.refused":    "refused",
		"explain.rows":              "Rows",
		"explain.note":              "Note",
		"explain.imports.none":      "No export has been imported yet.",
		"explain.intro":             "What the school systems' exports say about a person, holds, and every item the latest plans link to them, with the retention rule and deadline. The lookup is shown here only; it never goes into the address bar.",
		"explain.key":               "Person",
		"explain.key.help":          "As student:1001, staff:4711 or an e-mail address from the export.",
		"explain.button":            "Look up",
		"explain.missing":           "Say whom to look up.",
		"explain.unknown":           "Nothing is known about this person: no export lists them and no planned item is linked to them.",
		"explain.bad_key":           "Name the person as kind:id (student:1001, staff:4711) or by e-mail address.",
		"explain.about":             "About %s",
		"explain.flagged":           "FLAGGED – nothing about them is deleted: %s",
		"explain.facts":             "From the exports",
		"explain.from":              "From %s:",
		"explain.no_facts":          "Not in any school-system export.",
		"explain.fact.started":      "started %s",
		"explain.fact.left":         "left %s",
		"explain.fact.born":         "born %s",
		"explain.fact.case_closed":  "case closed %s",
		"explain.fact.email":        "e-mail %s",
		"explain.fact.manager":      "manager: %s",
		"explain.fact.pending_case": "pending case: %s",
		"explain.yes":               "yes",
		"explain.no":                "no",
		"explain.history":           "History",
		"explain.when":              "When",
		"explain.file":              "File",
		"explain.change":            "Change",
		"explain.change.first":      "first listed",
		"explain.change.gone":       "no longer listed",
		"explain.change.again":      "listed again",
		"explain.change.set":        "%s set to %s",
		"explain.change.unset":      "%s %s withdrawn",
		"explain.change.changed":    "%s changed from %s to %s",
		"explain.holds":             "Holds",
		"explain.hold":              "Hold %s: %s (owner %s)",
		"explain.instructions":      "Deletion instructions",
		"explain.instr":             "Instruction %s to %s: %s, delete by %s (%s)",
		"explain.instr.open":        "not confirmed",
		"explain.instr.confirmed":   "confirmed %s",
		"explain.instr.withdrawn":   "withdrawn %s by a hold: not to be carried out",
		"explain.items":             "Items",
		"explain.no_items":          "No planned item is linked to this person.",
		"explain.verdict":           "Verdict",
		"explain.due_unknown":       "not yet known",
		"explain.plan":              "plan %d of %s",
		"verdict.due":               "due",
		"verdict.keep":              "kept",
		"verdict.review":            "to review",
		"verdict.held":              "held",
		"verdict.archive":           "to archive",
	},
}
