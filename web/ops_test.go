package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/gofrs/flock"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/exports"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/mailer/smtptest"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// reconfigure rewrites the test console's configuration and policy with
// the edits given (nil: unchanged) and puts them in force, as a reload
// does.
func (e *testEnv) reconfigure(editConfig, editPolicy func(string) string) {
	e.t.Helper()
	for _, f := range []struct {
		name string
		edit func(string) string
	}{{"retentiond.yaml", editConfig}, {"policy.yaml", editPolicy}} {
		if f.edit == nil {
			continue
		}
		path := filepath.Join(e.dir, f.name)
		b, err := os.ReadFile(path)
		if err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(f.edit(string(b))), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	cfg, err := configs.Load(filepath.Join(e.dir, "retentiond.yaml"), connectors.NewRegistry(memory.Kind(), exports.Kind()))
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv.SetConfig(cfg)
}

// withAuditor adds eva, an auditor, to the people.
func withAuditor(text string) string {
	return strings.Replace(text, "  - {id: it, roles: [operator]}\n", "  - {id: it, roles: [operator]}\n  - {id: eva, name: Eva Revisor, roles: [auditor]}\n", 1)
}

// ledgerSize is the number of entries in the ledger.
func ledgerSize(t *testing.T, e *testEnv) int64 {
	t.Helper()
	n, err := e.p.Store.TreeSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// entriesOf returns the ledger's entries of type ty.
func entriesOf(t *testing.T, e *testEnv, ty ledger.Type) []ledger.Entry {
	t.Helper()
	var out []ledger.Entry
	for _, en := range verifiedEntries(t, e) {
		if en.Type == ty {
			out = append(out, en)
		}
	}
	return out
}

// waitJobs waits until the plans and executions started from the console
// have finished.
func waitJobs(e *testEnv) { e.srv.ops.wg.Wait() }

// approveBoth has anna and bo approve both stages of b.
func approveBoth(t *testing.T, e *testEnv, b store.Batch) {
	t.Helper()
	for _, who := range []string{"anna", "bo"} {
		if _, _, err := e.p.Approve(context.Background(), b.ID, who, b.Fingerprint); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpsRefusedWithoutOperatorRole: an approver and an auditor get 403
// with the reason on every operators' page, see no link to them, and
// every post of theirs (with their own CSRF token) is refused 403 and
// changes nothing.
func TestOpsRefusedWithoutOperatorRole(t *testing.T) {
	e := newTestEnv(t, "en")
	e.reconfigure(withAuditor, nil)
	b := e.plan("two/a.txt")
	approveBoth(t, e, b)
	if _, err := e.p.AddHold(context.Background(), "it", scheduler.HoldSpec{Reason: "case", Owner: "dpo", Source: "src", Force: true}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"anna", "eva"} {
		c := e.signIn(who)
		for _, path := range []string{"/ops", "/ops/holds", "/ops/holds?all=1", "/ops/instructions", "/ops/instructions/I-1/document.csv"} {
			resp, page := get(t, c, e.ts.URL+path)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Not allowed: "+who+" does not have the operator role") {
				t.Errorf("%s GET %s: %s\n%s", who, path, resp.Status, page)
			}
			if strings.Contains(page, `href="/ops"`) || strings.Contains(page, "/ops/batches/") {
				t.Errorf("%s sees the operators' pages' links on %s", who, path)
			}
		}
		before := ledgerSize(t, e)
		for _, p := range []struct {
			path string
			form url.Values
		}{
			{"/ops/plan", url.Values{"source": {"src"}}},
			{fmt.Sprintf("/ops/batches/%d/execute", b.ID), nil},
			{fmt.Sprintf("/ops/batches/%d/confirm", b.ID), nil},
			{"/ops/notify-test", nil},
			{"/ops/holds", url.Values{"reason": {"x"}, "owner": {"y"}, "source": {"src"}, "force": {"1"}}},
			{"/ops/holds/H-1/release", nil},
			{"/ops/instructions", nil},
			{"/ops/instructions/I-1/confirm", url.Values{"by": {"someone"}}},
		} {
			form := p.form
			if form == nil {
				form = url.Values{}
			}
			resp, page := post(t, e, c, p.path, form)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Not allowed") {
				t.Errorf("%s POST %s: %s\n%s", who, p.path, resp.Status, page)
			}
		}
		waitJobs(e)
		if after := ledgerSize(t, e); after != before {
			t.Errorf("%s's refused posts changed the ledger: %d entries, then %d", who, before, after)
		}
	}
	if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusApproved {
		t.Errorf("batch %s after refused posts", got.Status)
	}
	if hs, _ := e.p.Store.Holds(context.Background(), false); len(hs) != 1 {
		t.Errorf("holds after refused posts: %+v", hs)
	}
}

// TestOpsConfirmGuarded: a batch held by the size guard is listed with a
// Confirm button; the operator confirms it and the ledger records the
// confirmation with how they signed in.
func TestOpsConfirmGuarded(t *testing.T) {
	e := newTestEnv(t, "en")
	e.reconfigure(nil, func(p string) string {
		return strings.Replace(p, "    keep: P1D\n    approval:\n      - {group: leaders, count: 1}\n      - {group: dpo, count: 1}\n",
			"    keep: P1D\n    guard: {max_items: 1}\n    approval:\n      - {group: leaders, count: 1}\n      - {group: dpo, count: 1}\n", 1)
	})
	b := e.plan("two/a.txt", "two/b.txt")
	if b.Status != store.StatusGuarded {
		t.Fatalf("batch %s, not guarded", b.Status)
	}
	c := e.signIn("it")
	_, page := get(t, c, e.ts.URL+"/ops")
	if !strings.Contains(page, fmt.Sprintf(`action="/ops/batches/%d/confirm"`, b.ID)) || !strings.Contains(page, "Held by the size guard") {
		t.Fatalf("ops page without the guarded batch:\n%s", page)
	}
	resp, page := post(t, e, c, fmt.Sprintf("/ops/batches/%d/confirm", b.ID), url.Values{})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/ops" ||
		!strings.Contains(page, fmt.Sprintf("The size of batch %d is confirmed; it is now: waits for approval.", b.ID)) {
		t.Fatalf("confirm: %s %s\n%s", resp.Status, resp.Request.URL, page)
	}
	if strings.Contains(page, fmt.Sprintf(`action="/ops/batches/%d/confirm"`, b.ID)) {
		t.Error("the confirmed batch is still offered for confirmation")
	}
	// Again: the batch is no longer guarded; the page says so (409).
	resp, page = post(t, e, c, fmt.Sprintf("/ops/batches/%d/confirm", b.ID), url.Values{})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "not held by the blast-radius guard") || !strings.Contains(page, "<h1>Operations</h1>") {
		t.Fatalf("confirm twice: %s\n%s", resp.Status, page)
	}
	cs := entriesOf(t, e, ledger.TypeConfirmation)
	if len(cs) != 1 || cs[0].Actor != "it" || cs[0].Auth != "link" || cs[0].Batch != b.ID {
		t.Fatalf("confirmation entries %+v", cs)
	}
}

var jobRE = regexp.MustCompile(`<li class="job job-([a-z]+)"><strong>([^<]*)</strong>: ([^<]*)`)

// jobs returns the jobs listed on /ops: "What: state text".
func jobs(page string) []string {
	var out []string
	for _, m := range jobRE.FindAllStringSubmatch(page, -1) {
		out = append(out, m[2]+": "+m[1]+" "+strings.TrimSpace(m[3]))
	}
	return out
}

// TestOpsExecuteNow: the operator executes an approved batch from /ops;
// it runs in the background, the page then says it is done with its
// counts, the files are gone and the ledger names the operator and how
// they signed in.
func TestOpsExecuteNow(t *testing.T) {
	e := newTestEnv(t, "en")
	b := e.plan("two/a.txt", "two/b.txt")
	approveBoth(t, e, b)
	c := e.signIn("it")
	_, page := get(t, c, e.ts.URL+"/ops")
	if !strings.Contains(page, fmt.Sprintf(`id="execute-%d"`, b.ID)) {
		t.Fatalf("no Execute now for batch %d:\n%s", b.ID, page)
	}
	resp, page := post(t, e, c, fmt.Sprintf("/ops/batches/%d/execute", b.ID), url.Values{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, fmt.Sprintf("Batch %d is being executed.", b.ID)) {
		t.Fatalf("execute now: %s\n%s", resp.Status, page)
	}
	waitJobs(e)
	_, page = get(t, c, e.ts.URL+"/ops")
	if js := jobs(page); len(js) != 1 || js[0] != fmt.Sprintf("Batch %d: done done: 2 deleted, 0 skipped, 0 failed", b.ID) {
		t.Fatalf("jobs %q\n%s", js, page)
	}
	if strings.Contains(page, fmt.Sprintf(`id="execute-%d"`, b.ID)) {
		t.Error("an executed batch is still offered for execution")
	}
	for _, ref := range []string{"two/a.txt", "two/b.txt"} {
		if e.src.Exists(ref) {
			t.Errorf("%s still exists", ref)
		}
	}
	got, err := e.p.Store.Batch(context.Background(), b.ID)
	if err != nil || got.Status != store.StatusDone || got.Deleted != 2 {
		t.Fatalf("batch %+v (%v)", got, err)
	}
	for _, ty := range []ledger.Type{ledger.TypeExecutionStarted, ledger.TypeExecutionFinished} {
		es := entriesOf(t, e, ty)
		if len(es) != 1 || es[0].Actor != "it" || es[0].Auth != "link" || es[0].Batch != b.ID {
			t.Errorf("%s entries %+v", ty, es)
		}
	}
	if ds := entriesOf(t, e, ledger.TypeDeletion); len(ds) != 2 {
		t.Errorf("%d deletion entries", len(ds))
	}
}

// TestOpsExecutedMeanwhile: a batch executed by someone else before the
// click is refused with a clear message (409, the page again); one
// executed by another run after the click, before the console's job ran,
// makes the job fail with a clear line on the page; neither is a 500.
func TestOpsExecutedMeanwhile(t *testing.T) {
	e := newTestEnv(t, "en")
	b := e.plan("two/a.txt")
	approveBoth(t, e, b)
	c := e.signIn("it")
	ctx := context.Background()
	e.srv.ops.beforeRun = func(string) {
		// The daemon's run gets there first.
		if _, err := e.p.Execute(ctx, b.ID, "retentiond"); err != nil {
			t.Error(err)
		}
	}
	if resp, page := post(t, e, c, fmt.Sprintf("/ops/batches/%d/execute", b.ID), url.Values{}); resp.StatusCode != http.StatusOK {
		t.Fatalf("execute now: %s\n%s", resp.Status, page)
	}
	waitJobs(e)
	_, page := get(t, c, e.ts.URL+"/ops")
	want := fmt.Sprintf("Batch %d: failed failed: batch %d is done, not approved", b.ID, b.ID)
	if js := jobs(page); len(js) != 1 || !strings.HasPrefix(js[0], want) {
		t.Fatalf("jobs %q, want %q\n%s", js, want, page)
	}
	e.srv.ops.beforeRun = nil
	resp, page := post(t, e, c, fmt.Sprintf("/ops/batches/%d/execute", b.ID), url.Values{})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, fmt.Sprintf("The batch does not allow this now: batch %d is done, not approved", b.ID)) ||
		!strings.Contains(page, "<h1>Operations</h1>") {
		t.Fatalf("execute a done batch: %s\n%s", resp.Status, page)
	}
	if es := entriesOf(t, e, ledger.TypeExecutionStarted); len(es) != 1 || es[0].Actor != "retentiond" || es[0].Auth != "" {
		t.Errorf("execution entries %+v", es)
	}
}

// TestOpsPlanNow: Plan now plans the source in the background as the
// operator; the page then shows the plan's result and the source's latest
// plan. An unknown source is refused on the page.
func TestOpsPlanNow(t *testing.T) {
	e := newTestEnv(t, "en")
	e.src.Put("two/a.txt", []byte("a"), start.AddDate(0, 0, -5))
	e.src.Put("one/b.jpg", []byte("b"), start.AddDate(0, 0, -5))
	c := e.signIn("it")
	_, page := get(t, c, e.ts.URL+"/ops")
	if !strings.Contains(page, `<td data-label="Latest plan">never</td>`) || strings.Contains(page, "Could not be planned") {
		t.Fatalf("ops page before any plan:\n%s", page)
	}
	// The daemon could not plan the source and alerted the operators.
	if err := e.p.Store.AddNotification(context.Background(), store.Notification{Key: "source-failed:src:2026-11-22:it", Kind: "source_failed",
		Recipients: "it", SentAt: store.Time{Time: start}}); err != nil {
		t.Fatal(err)
	}
	if _, page := get(t, c, e.ts.URL+"/ops"); !strings.Contains(page, "Could not be planned on 2026-11-22 (the operators were alerted)") {
		t.Fatalf("ops page after a failure:\n%s", page)
	}
	resp, page := post(t, e, c, "/ops/plan", url.Values{"source": {"src"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "The plan of src has started.") {
		t.Fatalf("plan now: %s\n%s", resp.Status, page)
	}
	waitJobs(e)
	_, page = get(t, c, e.ts.URL+"/ops")
	if js := jobs(page); len(js) != 1 || js[0] != "Plan of src: done done: 2 items listed, 2 due, 2 new batches" {
		t.Fatalf("jobs %q\n%s", js, page)
	}
	if !strings.Contains(page, "2 items listed: 2 due (2 B), 0 to review, 0 held") || strings.Contains(page, "Could not be planned") || !strings.Contains(page, `<td data-label="Latest plan">2026-11-22 11:00</td>`) {
		t.Fatalf("source row after the plan:\n%s", page)
	}
	bs, err := e.p.Store.Batches(context.Background())
	if err != nil || len(bs) != 2 || bs[0].Planner != "it" {
		t.Fatalf("batches %+v (%v)", bs, err)
	}
	resp, page = post(t, e, c, "/ops/plan", url.Values{"source": {"<nope>"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `There is no source named &#34;&lt;nope&gt;&#34;.`) {
		t.Fatalf("unknown source: %s\n%s", resp.Status, page)
	}
}

// TestOpsHolds: holds are added with the command line's fields (a
// hostile path shown escaped), refused when they cover nothing (the form
// keeps its values) until forced, an evidence hold with a camera and a
// time window, and released; the ledger names the operator and how they
// signed in.
func TestOpsHolds(t *testing.T) {
	e := newTestEnv(t, "en")
	// A plan, which tells what a path covers in a source that is not
	// listed by folder.
	e.plan(hostile)
	c := e.signIn("it")
	_, page := get(t, c, e.ts.URL+"/ops/holds")
	if !strings.Contains(page, "No holds.") || !strings.Contains(page, `<label for="hold-path">`) {
		t.Fatalf("holds page:\n%s", page)
	}
	resp, page := post(t, e, c, "/ops/holds", url.Values{"reason": {"case 2026-14 <b>"}, "owner": {"DPO"}, "source": {"src"}, "path": {hostile}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Hold H-1 added.") {
		t.Fatalf("add: %s\n%s", resp.Status, page)
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "\x07") || strings.Contains(page, "<b>") {
		t.Fatalf("raw name on the holds page:\n%s", page)
	}
	if !strings.Contains(page, `&lt;script&gt;alert(1)&lt;/script&gt;&#34;quote&#39;\a.txt`) || !strings.Contains(page, "case 2026-14 &lt;b&gt;") {
		t.Fatalf("escaped path or reason missing:\n%s", page)
	}

	// A path that covers nothing: refused, the form keeps its values.
	form := url.Values{"reason": {"typo case"}, "owner": {"DPO"}, "source": {"src"}, "path": {"nothing/here/**"}, "until": {"2027-01-31"}}
	resp, page = post(t, e, c, "/ops/holds", form)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "The hold covers no item:") ||
		!strings.Contains(page, `value="nothing/here/**"`) || !strings.Contains(page, `value="typo case"`) || !strings.Contains(page, `value="2027-01-31"`) ||
		!strings.Contains(page, `<option value="src" selected>`) || !strings.Contains(page, `class="check attention"`) {
		t.Fatalf("uncovered: %s\n%s", resp.Status, page)
	}
	form.Set("force", "1")
	if resp, page := post(t, e, c, "/ops/holds", form); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Hold H-2 added.") {
		t.Fatalf("forced: %s\n%s", resp.Status, page)
	}

	// Mistakes are the person's: 400 with the reason.
	for _, m := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"reason": {" "}, "owner": {"DPO"}, "source": {"src"}}, "Give a reason and who is responsible."},
		{url.Values{"reason": {"r"}, "owner": {"DPO"}}, "Say what the hold covers"},
		{url.Values{"reason": {"r"}, "owner": {"DPO"}, "source": {"src"}, "until": {"2020-01-01"}}, "The hold was not added: --until 2020-01-01 is not in the future"},
		{url.Values{"reason": {"r"}, "owner": {"DPO"}, "source": {"src"}, "recorded_from": {"2026-11-03 16:00"}, "recorded_until": {"2026-11-03 14:00"}}, "is not after --recorded-from"},
		{url.Values{"reason": {"r"}, "owner": {"DPO"}, "path": {"x/**"}, "evidence": {"1"}}, "An evidence hold needs a source"},
	} {
		resp, page := post(t, e, c, "/ops/holds", m.form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, m.want) {
			t.Errorf("%v: %s, want %q\n%s", m.form, resp.Status, m.want, page)
		}
	}

	// Police evidence: the camera's folder and the incident's window.
	resp, page = post(t, e, c, "/ops/holds", url.Values{"reason": {"police case 2026-1234"}, "owner": {"school leader"}, "source": {"src"},
		"path": {"two/**"}, "recorded_from": {"2026-11-03 14:00"}, "recorded_until": {"2026-11-03T16:00"}, "evidence": {"1"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Hold H-3 added.") || !strings.Contains(page, "recorded from 2026-11-03 14:00 to 2026-11-03 16:00") ||
		!strings.Contains(page, "evidence hold (police)") {
		t.Fatalf("evidence hold: %s\n%s", resp.Status, page)
	}
	hs, err := e.p.Store.Holds(context.Background(), false)
	if err != nil || len(hs) != 3 || !hs[2].Evidence || hs[2].RecordedFrom != "2026-11-03T14:00:00+01:00" || hs[0].Path != hostile {
		t.Fatalf("holds %+v (%v)", hs, err)
	}

	// One item, named as hostile as a share allows.
	if resp, page := post(t, e, c, "/ops/holds", url.Values{"reason": {"access request"}, "owner": {"DPO"}, "source": {"src"}, "ref": {hostile}}); resp.StatusCode != http.StatusOK ||
		!strings.Contains(page, "Hold H-4 added.") || strings.Contains(page, "<script>alert") || strings.Contains(page, "\x07") ||
		strings.Count(page, `&lt;script&gt;alert(1)&lt;/script&gt;&#34;quote&#39;\a.txt`) != 2 {
		t.Fatalf("hold of a hostile item: %s\n%s", resp.Status, page)
	}
	resp, page = post(t, e, c, "/ops/holds/H-3/release", url.Values{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Hold H-3 released") || strings.Contains(page, `id="release-H-3"`) {
		t.Fatalf("release: %s\n%s", resp.Status, page)
	}
	if resp, page := post(t, e, c, "/ops/holds/H-3/release", url.Values{}); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "There is no active hold H-3.") {
		t.Fatalf("release twice: %s\n%s", resp.Status, page)
	}
	_, page = get(t, c, e.ts.URL+"/ops/holds?all=1")
	if !strings.Contains(page, "released 2026-11-22 by it") || !strings.Contains(page, "All holds") {
		t.Fatalf("all holds:\n%s", page)
	}
	added, released := entriesOf(t, e, ledger.TypeHoldAdded), entriesOf(t, e, ledger.TypeHoldReleased)
	if len(added) != 4 || len(released) != 1 {
		t.Fatalf("%d hold_added, %d hold_released", len(added), len(released))
	}
	for _, en := range append(added, released...) {
		if en.Actor != "it" || en.Auth != "link" {
			t.Errorf("%s entry by %q auth %q", en.Type, en.Actor, en.Auth)
		}
	}
	if released[0].Reason == "" {
		t.Error("the release of an evidence hold does not say its footage is due at once")
	}
}

// TestOpsNotifyTest: the button sends the test e-mail of `retentiond
// notify test` through the configured relay to the operators and says
// so; without a notify section the page says nobody is told anything.
func TestOpsNotifyTest(t *testing.T) {
	e := newTestEnv(t, "en")
	c := e.signIn("it")
	_, page := get(t, c, e.ts.URL+"/ops")
	if !strings.Contains(page, "The configuration has no notify section") || strings.Contains(page, `id="notify-test"`) {
		t.Fatalf("ops page without notify:\n%s", page)
	}
	if resp, page := post(t, e, c, "/ops/notify-test", url.Values{}); resp.StatusCode != http.StatusConflict || !strings.Contains(page, "no notify section") {
		t.Fatalf("notify test without notify: %s\n%s", resp.Status, page)
	}

	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	pw := filepath.Join(e.dir, "smtp.password")
	if err := os.WriteFile(pw, []byte(smtptest.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.reconfigure(func(text string) string {
		text = strings.Replace(text, "{id: it, roles: [operator]}", "{id: it, roles: [operator], email: it@skole.example}", 1)
		return text + fmt.Sprintf("notify:\n  operators: [it]\n  smtp:\n    host: %s\n    port: %d\n    from: \"retentiond <retentiond@skole.example>\"\n    username: %s\n    password_file: smtp.password\n    ca_file: %s\n",
			srv.Host, srv.Port, smtptest.User, srv.CAFile)
	}, nil)
	before := ledgerSize(t, e)
	resp, page := post(t, e, c, "/ops/notify-test", url.Values{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Test e-mail sent to it@skole.example.") {
		t.Fatalf("notify test: %s\n%s", resp.Status, page)
	}
	msgs, _ := srv.Received()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "it@skole.example" {
		t.Fatalf("relay received %+v", msgs)
	}
	// The CLI's test mail, in the configuration's language (Danish).
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil || subject != "retentiond: prøvebesked" {
		t.Fatalf("subject %q (%v)", subject, err)
	}
	if ledgerSize(t, e) != before {
		t.Error("a test e-mail changed the ledger")
	}

	// The relay refuses the password: the page says why.
	if err := os.WriteFile(pw, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, page = post(t, e, c, "/ops/notify-test", url.Values{})
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(page, "The test e-mail was not sent:") || !strings.Contains(page, "<h1>Operations</h1>") {
		t.Fatalf("refused by the relay: %s\n%s", resp.Status, page)
	}
}

const recordPolicyRule = `  - id: L1
    title: Lectio master data
    type: delete_after
    kinds: [record]
    path: "Lectio/Stamdata/{student}"
    subject: {kind: student, capture: student}
    from: subject.left
    keep: P2Y
    approval:
      - {group: leaders, count: 1}
`

// TestOpsInstructions: the operator issues deletion instructions from the
// page (documents written where the command line writes them), confirms
// one with who carried it out (recorded with how the operator signed
// in), and the page lists it as confirmed; mistakes are shown on the page.
func TestOpsInstructions(t *testing.T) {
	e := newTestEnv(t, "en")
	c := e.signIn("it")
	resp, page := post(t, e, c, "/ops/instructions", url.Values{"horizon": {"30"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "No instructions were issued: no school-system export is configured") {
		t.Fatalf("issue without exports: %s\n%s", resp.Status, page)
	}
	if err := os.MkdirAll(filepath.Join(e.dir, "elever"), 0o755); err != nil {
		t.Fatal(err)
	}
	export := "Elevnummer;Navn;Indmeldt;Udmeldt;Fødselsdato\n1001;A;01-08-2019;20-06-2024;12-05-2005\n1002;B;01-08-2019;;12-05-2005\n"
	if err := os.WriteFile(filepath.Join(e.dir, "elever", "export_001.csv"), []byte(export), 0o644); err != nil {
		t.Fatal(err)
	}
	e.reconfigure(func(text string) string {
		return strings.Replace(text, "web:\n", "  - name: elever\n    kind: export\n    options: {dir: elever, preset: tea-students}\nweb:\n", 1)
	}, func(p string) string { return p + recordPolicyRule })
	if _, err := e.p.ImportSubjects(context.Background(), scheduler.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if resp, page := post(t, e, c, "/ops/instructions", url.Values{"horizon": {"soon"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "&#34;soon&#34; is not a number of days.") || !strings.Contains(page, `value="soon"`) {
		t.Fatalf("bad horizon: %s\n%s", resp.Status, page)
	}
	resp, page = post(t, e, c, "/ops/instructions", url.Values{"horizon": {"30"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Instruction I-1 for Lectio: 1 lines, first due 2026-06-20, to be confirmed by 2026-12-06.") {
		t.Fatalf("issue: %s\n%s", resp.Status, page)
	}
	for _, ext := range []string{".pdf", ".md", ".csv", ".note"} {
		if _, err := os.Stat(filepath.Join(e.dir, "instructions", "I-1-lectio"+ext)); err != nil {
			t.Errorf("document: %v", err)
		}
	}
	if !strings.Contains(page, `action="/ops/instructions/I-1/confirm"`) || !strings.Contains(page, "waiting for confirmation") {
		t.Fatalf("instruction not listed for confirmation:\n%s", page)
	}
	if resp, page := post(t, e, c, "/ops/instructions/I-1/confirm", url.Values{"by": {" "}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Say who carried the instruction out.") {
		t.Fatalf("confirm without by: %s\n%s", resp.Status, page)
	}
	if resp, page := post(t, e, c, "/ops/instructions/I-9/confirm", url.Values{"by": {"x"}}); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "There is no unconfirmed instruction I-9.") {
		t.Fatalf("confirm unknown: %s\n%s", resp.Status, page)
	}
	resp, page = post(t, e, c, "/ops/instructions/I-1/confirm", url.Values{"by": {"Lectio <admin>"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Instruction I-1 confirmed as carried out by Lectio &lt;admin&gt;") ||
		!strings.Contains(page, "confirmed 2026-11-22, carried out by Lectio &lt;admin&gt; (recorded by it)") {
		t.Fatalf("confirm: %s\n%s", resp.Status, page)
	}
	resp, csv := get(t, c, e.ts.URL+"/ops/instructions/I-1/document.csv")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != `attachment; filename="I-1.csv"` ||
		csv != "delete_by,rule,category,person,action\n2026-06-20,L1,Lectio master data,1001,delete\n" {
		t.Fatalf("document: %s %v\n%s", resp.Status, resp.Header, csv)
	}
	if resp, _ := get(t, c, e.ts.URL+"/ops/instructions/I-7/document.csv"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown document: %s", resp.Status)
	}
	acks := entriesOf(t, e, ledger.TypeAcknowledgement)
	if len(acks) != 1 || acks[0].Actor != "it" || acks[0].Auth != "link" || acks[0].Instruction != "I-1" {
		t.Fatalf("acknowledgements %+v", acks)
	}
}

// TestOpsPagesInEachLanguage: the operators' pages in Danish, Swedish and
// English, with their headings and labelled fields.
func TestOpsPagesInEachLanguage(t *testing.T) {
	for lang, want := range map[string][3]string{
		"da": {"<h1>Drift</h1>", "<h1>Sletteblokeringer</h1>", "<h1>Sletteinstrukser</h1>"},
		"sv": {"<h1>Drift</h1>", "<h1>Bevarandespärrar</h1>", "<h1>Gallringsinstruktioner</h1>"},
		"en": {"<h1>Operations</h1>", "<h1>Holds</h1>", "<h1>Deletion instructions</h1>"},
	} {
		e := newTestEnv(t, lang)
		c := e.signIn("it")
		for i, path := range []string{"/ops", "/ops/holds", "/ops/instructions"} {
			req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
			req.Header.Set("Accept-Language", lang)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page := string(b)
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<html lang="`+lang+`">`) || !strings.Contains(page, want[i]) {
				t.Errorf("%s %s: %s\n%s", lang, path, resp.Status, page)
			}
			// Every input has a label.
			for _, m := range regexp.MustCompile(`<(?:input|select|textarea)[^>]*id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
				if !strings.Contains(page, `for="`+m[1]+`"`) {
					t.Errorf("%s %s: field %s without a label", lang, path, m[1])
				}
			}
		}
	}
}

// TestOpsOneJobAtATimeAndClose: a second Execute now of a batch whose
// execution runs is refused (409); Close cancels the running job, waits
// for it, and the console then starts nothing more. Nothing of the
// batch, stopped before its first slice, was deleted.
func TestOpsOneJobAtATimeAndClose(t *testing.T) {
	e := newTestEnv(t, "en")
	b := e.plan("two/a.txt")
	approveBoth(t, e, b)
	c := e.signIn("it")
	running := make(chan struct{})
	e.srv.ops.beforeRun = func(string) {
		close(running)
		<-e.srv.ops.ctx.Done() // runs until the console closes
	}
	path := fmt.Sprintf("/ops/batches/%d/execute", b.ID)
	if resp, page := post(t, e, c, path, url.Values{}); resp.StatusCode != http.StatusOK {
		t.Fatalf("execute now: %s\n%s", resp.Status, page)
	}
	<-running
	_, page := get(t, c, e.ts.URL+"/ops")
	if js := jobs(page); len(js) != 1 || js[0] != fmt.Sprintf("Batch %d: running running …", b.ID) || !strings.Contains(page, fmt.Sprintf(`id="execute-%d" disabled`, b.ID)) {
		t.Fatalf("jobs %q\n%s", js, page)
	}
	resp, page := post(t, e, c, path, url.Values{})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "That is running already.") {
		t.Fatalf("execute twice: %s\n%s", resp.Status, page)
	}
	if err := e.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, page = get(t, c, e.ts.URL+"/ops")
	if js := jobs(page); len(js) != 1 || !strings.HasPrefix(js[0], fmt.Sprintf("Batch %d: failed failed: ", b.ID)) || !strings.Contains(js[0], "context canceled") {
		t.Fatalf("jobs after Close %q", js)
	}
	if resp, page := post(t, e, c, "/ops/plan", url.Values{"source": {"src"}}); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(page, "shutting down") {
		t.Fatalf("plan after Close: %s\n%s", resp.Status, page)
	}
	// Interrupted before its first slice: nothing deleted; the next
	// execution (the daemon's, or another Execute now) resumes it.
	if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusApproved && got.Status != store.StatusExecuting || got.Deleted != 0 || !e.src.Exists("two/a.txt") {
		t.Errorf("batch %s, %d deleted after a cancelled execution", got.Status, got.Deleted)
	}
}

// TestOpsSourceBusy: while another process works on the source (its lock
// taken), Plan now fails with the reason on the page, not an error page.
func TestOpsSourceBusy(t *testing.T) {
	e := newTestEnv(t, "en")
	dir := filepath.Join(filepath.Dir(e.p.Config.Database), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	l := flock.New(filepath.Join(dir, "source-src.lock"))
	if ok, err := l.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer l.Unlock()
	c := e.signIn("it")
	if resp, page := post(t, e, c, "/ops/plan", url.Values{"source": {"src"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("plan now: %s\n%s", resp.Status, page)
	}
	waitJobs(e)
	_, page := get(t, c, e.ts.URL+"/ops")
	if js := jobs(page); len(js) != 1 || js[0] != `Plan of src: failed failed: source &#34;src&#34;: another retentiond process is working on it; try again when it has finished` {
		t.Fatalf("jobs %q", js)
	}
}
