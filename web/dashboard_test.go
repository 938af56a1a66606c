package web

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/exports"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/ledger/bundle"
	"github.com/retentiond/retentiond/web/auth"
)

// dashPolicy adds to testPolicy's rules one about former students'
// folders, for the person lookup.
const dashPolicy = testPolicy + `  - id: S3
    title: Elevmapper efter udmeldelse
    type: delete_after
    path: "students/{student}/**"
    subject: {kind: student, capture: student}
    from: subject.left
    keep: P0D
    approval:
      - {group: leaders, count: 1}
`

// dashConfig is testConfig's people with an auditor (a name with markup)
// and an export of students.
const dashConfig = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, name: Anna Leder, roles: [approver], groups: [leaders]}
  - {id: bo, roles: [approver], groups: [dpo]}
  - {id: it, roles: [operator]}
  - {id: eva, name: "Eva <b>Revisor</b>", roles: [auditor]}
sources:
  - name: src
    kind: memory
    options: {name: %s}
  - name: elever
    kind: export
    options: {dir: elever, preset: tea-students}
web:
  listen: 127.0.0.1:8080
  url: http://127.0.0.1:8080
  links: true
  locale: %s
  accept_language: true
`

const teaExport = "Elevnummer;Navn;Indmeldt;Udmeldt;Fødselsdato\n1001;Alma Hansen;01-08-2019;20-06-2026;12-05-2010\n1002;Bent Jensen;01-08-2019;;12-05-2010\n"

// newDashEnv is a console like newTestEnv's with an auditor (eva), an
// export of students and a log that tests read.
func newDashEnv(t testing.TB, locale string) (*testEnv, *observer.ObservedLogs) {
	t.Helper()
	return newDashEnvEdit(t, locale, func(s string) string { return s })
}

// newDashEnvEdit is newDashEnv with its configuration's text edited.
func newDashEnvEdit(t testing.TB, locale string, edit func(string) string) (*testEnv, *observer.ObservedLogs) {
	t.Helper()
	dir := t.TempDir()
	name := "web_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	src := memory.New(name)
	memory.Register(name, src)
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(dashPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "elever"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "elever", "export_001.csv"), []byte(teaExport), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: start}
	ts := httptest.NewUnstartedServer(nil)
	t.Cleanup(ts.Close)
	text := edit(strings.ReplaceAll(fmt.Sprintf(dashConfig, name, locale), "http://127.0.0.1:8080", "http://"+ts.Listener.Addr().String()))
	cfgFile := filepath.Join(dir, "retentiond.yaml")
	if err := os.WriteFile(cfgFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(cfgFile, connectors.NewRegistry(memory.Kind(), exports.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(core)
	p, err := scheduler.New(context.Background(), cfg, scheduler.Deps{Clock: c, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	m, err := auth.New(context.Background(), auth.Options{Config: cfg, Store: p.Store, Refs: p.Refs, Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Pipeline: p, Auth: m, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s
	ts.Start()
	return &testEnv{t: t, dir: dir, src: src, p: p, auth: m, srv: s, ts: ts, clock: c}, logs
}

// fillDash plans items under TWO, ONE and S3, approves and executes the
// batch of ONE (one of its items vanished first: "absent"), and returns
// the batches by rule.
func fillDash(t *testing.T, e *testEnv) map[string]store.Batch {
	t.Helper()
	ctx := context.Background()
	for _, n := range []string{"two/a.txt", "two/b.txt", hostile, "one/fest/a.jpg", "one/fest/b.jpg", "one/fest/c.jpg",
		"students/1001/elevplan.docx", "students/1001/<i>note</i>.txt", "students/1002/elevplan.docx"} {
		e.src.Put(n, []byte(n), start.Add(-5*24*time.Hour))
	}
	res, err := e.p.Plan(ctx, scheduler.PlanOptions{Source: "src", Planner: "it"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Batch{}
	for _, b := range res.Batches {
		out[b.Rule] = b
	}
	one := out["ONE"]
	if _, _, err := e.p.Approve(ctx, one.ID, "anna", one.Fingerprint); err != nil {
		t.Fatal(err)
	}
	e.src.Remove("one/fest/c.jpg")
	e.clock.Add(time.Hour)
	if _, err := e.p.Execute(ctx, one.ID, "it"); err != nil {
		t.Fatal(err)
	}
	return out
}

// tableRow returns the cells of the table row whose first cell starts
// with label, tags removed.
func tableRow(t *testing.T, page, label string) []string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr><th scope="row"[^>]*>` + regexp.QuoteMeta(label) + `.*?</tr>`)
	m := re.FindString(page)
	if m == "" {
		t.Fatalf("no row %q on the page:\n%s", label, page)
	}
	var cells []string
	for _, c := range regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`).FindAllStringSubmatch(m, -1) {
		cells = append(cells, strings.TrimSpace(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(c[1], "")))
	}
	return cells
}

// TestDashboardNumbers: after a plan and an execution the dashboard's
// figures are the store's and the ledger's, counted here another way:
// due items from the plan's items and the batches' statuses, deletions
// from parsing every ledger entry, waiting batches from the batch list.
// Every figure is drawn as a chart with a title and description, and
// given as a table.
func TestDashboardNumbers(t *testing.T) {
	e, _ := newDashEnv(t, "en")
	bs := fillDash(t, e)
	ctx := context.Background()
	eva := e.signIn("eva")
	resp, page := get(t, eva, e.ts.URL+"/dashboard")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %s\n%s", resp.Status, page)
	}

	// Overdue: due items of the latest plan per rule, less those of
	// batches that ran, by the status of the batch that holds them.
	plans, err := e.p.Store.LatestTodayPlans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	due := map[string]int64{}
	for _, pl := range plans {
		err := e.p.Store.PlanItems(ctx, pl.ID, "", "", func(c store.Chunk) error {
			for _, it := range c.Items {
				if it.Verdict == "due" || it.Verdict == "archive" {
					due[it.Rule]++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	all, err := e.p.Store.Batches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waiting, approved, gone := map[string]int64{}, map[string]int64{}, map[string]int64{}
	var openBatches int
	for _, b := range all {
		switch b.Status {
		case store.StatusPending, store.StatusGuarded:
			waiting[b.Rule] += b.Items
			openBatches++
		case store.StatusApproved, store.StatusExecuting:
			approved[b.Rule] += b.Items
			if b.Status == store.StatusApproved {
				openBatches++
			}
		default:
			gone[b.Rule] += b.Items
		}
	}
	if due["TWO"] != 3 || due["S3"] != 2 || gone["ONE"] != 3 {
		t.Fatalf("the test's own counts: due %v, gone %v", due, gone)
	}
	for _, rule := range []string{"TWO", "S3"} {
		unbatched := due[rule] - waiting[rule] - approved[rule] - gone[rule]
		want := []string{fmt.Sprint(waiting[rule]), fmt.Sprint(approved[rule]), fmt.Sprint(unbatched), fmt.Sprint(due[rule] - gone[rule])}
		if got := tableRow(t, page, rule)[1:]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("overdue %s: page %v, store %v", rule, got, want)
		}
	}
	if strings.Contains(page, `data-label="Rule">ONE`) {
		t.Errorf("rule ONE ran and is still overdue on the page")
	}

	// Deletions per month: every deletion entry parsed, by outcome.
	outcomes := map[string]map[string]int64{}
	err = e.p.Store.Entries(ctx, func(_ int64, data []byte) error {
		en, err := ledger.Parse(data)
		if err != nil {
			return err
		}
		if en.Type == ledger.TypeDeletion {
			m := en.Time.In(e.p.Config.Location).Format("2006-01")
			if outcomes[m] == nil {
				outcomes[m] = map[string]int64{}
			}
			outcomes[m][en.Outcome]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	nov := outcomes["2026-11"]
	if nov["deleted"] != 2 {
		t.Fatalf("the test's own count of deletions: %v", outcomes)
	}
	other := int64(0)
	for o, n := range nov {
		if o != "deleted" && o != "archived" && o != "failed" {
			other += n
		}
	}
	want := []string{"Nov 2026", fmt.Sprint(nov["deleted"]), fmt.Sprint(nov["archived"]), fmt.Sprint(nov["failed"]), fmt.Sprint(other)}
	if got := tableRow(t, page, "Nov 2026"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("deletions in November: page %v, ledger %v", got, want)
	}
	if got := tableRow(t, page, "Oct 2026"); fmt.Sprint(got[1:]) != "[0 0 0 0]" {
		t.Errorf("deletions in October: %v", got)
	}

	// Waiting batches: one row each, the age chart sums them.
	rows := regexp.MustCompile(`href="/batches/(\d+)"`).FindAllStringSubmatch(page, -1)
	if len(rows) != openBatches {
		t.Errorf("%d waiting batches on the page, %d in the store", len(rows), openBatches)
	}
	for _, rule := range []string{"TWO", "S3"} {
		if !strings.Contains(page, fmt.Sprintf(`href="/batches/%d"`, bs[rule].ID)) {
			t.Errorf("batch of %s not listed as waiting", rule)
		}
	}
	if !regexp.MustCompile(`(?s)>under 1 day</text>\s*<rect[^>]*></rect>\s*<text[^>]*class="value">` + fmt.Sprint(openBatches) + `<`).MatchString(page) {
		t.Errorf("age chart does not count %d batches under a day:\n%s", openBatches, page)
	}

	// Charts: an image with its title and description, no inline style
	// or script.
	for _, id := range []string{"chart-overdue", "chart-months", "chart-ages"} {
		if !strings.Contains(page, fmt.Sprintf(`role="img" aria-labelledby="%s-t %s-d"`, id, id)) || !strings.Contains(page, fmt.Sprintf(`<title id="%s-t">`, id)) ||
			!strings.Contains(page, fmt.Sprintf(`<desc id="%s-d">`, id)) {
			t.Errorf("chart %s lacks its text alternative", id)
		}
	}
	if strings.Contains(page, "style=") || strings.Contains(page, "<script") {
		t.Errorf("inline style or script on the dashboard")
	}
	if !strings.Contains(page, `/static/dashboard.css`) {
		t.Errorf("no stylesheet for the charts")
	}
	if resp, css := get(t, eva, e.ts.URL+"/static/dashboard.css"); resp.StatusCode != http.StatusOK || !strings.Contains(css, ".bar-a") {
		t.Errorf("dashboard.css: %s", resp.Status)
	}
	// The auditor's name is escaped in the header.
	if strings.Contains(page, "<b>Revisor</b>") || !strings.Contains(page, "Eva &lt;b&gt;Revisor&lt;/b&gt;") {
		t.Errorf("the auditor's name is not escaped")
	}

	// The same figures from the Pipeline, in Danish and Swedish words.
	for _, lang := range []string{"da", "sv"} {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/dashboard", nil)
		req.Header.Set("Accept-Language", lang)
		r, err := eva.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		word := map[string]string{"da": "Sletninger pr. måned", "sv": "Raderingar per månad"}[lang]
		if r.StatusCode != http.StatusOK || !strings.Contains(string(b), word) {
			t.Errorf("%s dashboard: %s, lacks %q", lang, r.Status, word)
		}
	}
}

// TestDashboardSources: a source never planned is failing, one planned
// completely is not.
func TestDashboardSources(t *testing.T) {
	e, _ := newDashEnv(t, "en")
	eva := e.signIn("eva")
	_, page := get(t, eva, e.ts.URL+"/dashboard")
	if row := tableRow(t, page, "src"); !strings.Contains(row[1], "failing") || !strings.Contains(row[2], "never") {
		t.Errorf("unplanned source: %v", row)
	}
	if !strings.Contains(page, "One source needs an operator&#39;s attention.") {
		t.Errorf("the failing source is not counted")
	}
	fillDash(t, e)
	eva = e.signIn("eva")
	_, page = get(t, eva, e.ts.URL+"/dashboard")
	if row := tableRow(t, page, "src"); !strings.Contains(row[1], "OK") || !strings.Contains(row[2], "2026-11-22") {
		t.Errorf("planned source: %v", row)
	}
	if strings.Contains(page, `data-label="Source">elever`) {
		t.Errorf("an export source is listed as planned")
	}
}

// lastVerify reads the newest verification result from the database.
func lastVerify(t *testing.T, e *testEnv) *store.LedgerVerify {
	t.Helper()
	v, err := e.p.Store.LastLedgerVerify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifyNow: "Verify now" says OK on a good ledger and records who
// asked; after a byte of an entry is changed in the SQLite file it says
// FAILED and names the entry. Nothing in the ledger changes.
func TestVerifyNow(t *testing.T) {
	e, _ := newDashEnv(t, "en")
	fillDash(t, e)
	ctx := context.Background()
	// Anchored twice to one target (the latest counts), once to another.
	cps, err := e.p.Store.Checkpoints(ctx)
	if err != nil || len(cps) < 2 {
		t.Fatalf("checkpoints %v (%v)", cps, err)
	}
	for _, a := range []struct {
		n      int64
		target string
		at     time.Time
	}{{cps[0].N, "dir:/mnt/dpo", start}, {cps[1].N, "dir:/mnt/dpo", start.Add(30 * time.Minute)}, {cps[0].N, "smtp:dpo@skole.example", start}} {
		if err := e.p.Store.AddAnchor(ctx, a.n, a.target, store.Time{Time: a.at}); err != nil {
			t.Fatal(err)
		}
	}
	eva := e.signIn("eva")
	_, page := get(t, eva, e.ts.URL+"/ledger")
	local := func(t time.Time) string { return t.In(e.p.Config.Location).Format("2006-01-02 15:04") }
	for _, want := range []string{fmt.Sprintf("dir:/mnt/dpo: checkpoint of %d entries, %s", cps[1].N, local(start.Add(30*time.Minute))),
		fmt.Sprintf("smtp:dpo@skole.example: checkpoint of %d entries, %s", cps[0].N, local(start))} {
		if !strings.Contains(page, want) {
			t.Errorf("ledger page lacks the anchor %q:\n%s", want, page[strings.Index(page, "h-status"):])
		}
	}
	if !strings.Contains(page, "has not been verified from the console yet") {
		t.Fatalf("ledger page before a verification:\n%s", page)
	}
	size, _ := e.p.Store.TreeSize(ctx)
	resp, page := post(t, e, eva, "/ledger/verify", url.Values{})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/ledger" || !strings.Contains(page, "Verified: OK.") ||
		!strings.Contains(page, fmt.Sprintf("%d entries, the latest checkpoint covers", size)) || !strings.Contains(page, "by Eva &lt;b&gt;Revisor&lt;/b&gt;") {
		t.Fatalf("verify now: %s %s\n%s", resp.Status, resp.Request.URL, page)
	}
	if v := lastVerify(t, e); v == nil || !v.OK || v.Person != "eva" || v.Entries != size {
		t.Fatalf("recorded %+v", v)
	}
	if n, _ := e.p.Store.TreeSize(ctx); n != size {
		t.Fatalf("verify now wrote to the ledger: %d entries, were %d", n, size)
	}
	// The status: size, latest checkpoint and its root, key id.
	cp, ok, err := e.p.Store.LatestCheckpoint(ctx)
	if err != nil || !ok {
		t.Fatal(err)
	}
	body, err := ledger.PeekCheckpoint(cp.Note)
	if err != nil {
		t.Fatal(err)
	}
	vk, _ := ledger.ParseVerifierKey(e.p.Signer.VerifierKey())
	for _, want := range []string{fmt.Sprintf("%d entries", size), body.Hash.String(), vk.ID(), "SHA256:"} {
		if !strings.Contains(page, strings.ReplaceAll(want, "+", "&#43;")) {
			t.Errorf("ledger page lacks %q", want)
		}
	}

	// Tamper: change a byte of entry 3 in the file.
	db, err := sql.Open("sqlite", e.p.Config.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DROP TRIGGER ledger_entry_no_update`); err != nil {
		t.Fatal(err)
	}
	var data []byte
	if err := db.QueryRow(`SELECT data FROM ledger_entry WHERE idx = 3`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(`"time":"2026`)) + len(`"time":"202`)
	data[i] = '7' // 2026 → 2027
	if _, err := db.Exec(`UPDATE ledger_entry SET data = ? WHERE idx = 3`, data); err != nil {
		t.Fatal(err)
	}
	resp, page = post(t, e, eva, "/ledger/verify", url.Values{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Verification FAILED.") || !strings.Contains(page, "entry 3") {
		t.Fatalf("verify a tampered ledger: %s\n%s", resp.Status, page)
	}
	if v := lastVerify(t, e); v == nil || v.OK || !strings.Contains(v.Message, "entry 3") {
		t.Fatalf("recorded %+v", v)
	}
}

// untar unpacks a .tar.gz into dir.
func untar(t *testing.T, r io.Reader, dir string) []string {
	t.Helper()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("archive member %q outside the directory", h.Name)
		}
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// postRaw posts form and returns the response unread.
func postRaw(t *testing.T, e *testEnv, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	_, page := get(t, c, e.ts.URL+"/dashboard")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token:\n%s", page)
	}
	form.Set("csrf", m[1])
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.ts.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestBundleDownload: the auditor downloads the evidence bundle as one
// .tar.gz; unpacked, it verifies as `retentiond ledger verify DIR` does
// (bundle.Verify) and holds no path or name from the share. An operator
// may not download it; a bad period is refused.
func TestBundleDownload(t *testing.T) {
	e, _ := newDashEnv(t, "en")
	fillDash(t, e)
	ctx := context.Background()
	// An export left by a process that stopped two days ago, and one
	// still being streamed.
	dbDir := filepath.Dir(e.p.Config.Database)
	for name, age := range map[string]time.Duration{".console-export-1": 48 * time.Hour, ".console-export-2": time.Hour} {
		if err := os.MkdirAll(filepath.Join(dbDir, name, "half"), 0o700); err != nil {
			t.Fatal(err)
		}
		at := e.clock.Now().Add(-age)
		if err := os.Chtimes(filepath.Join(dbDir, name), at, at); err != nil {
			t.Fatal(err)
		}
	}
	eva := e.signIn("eva")
	resp := postRaw(t, e, eva, "/ledger/bundle", url.Values{"from": {"2026-11-01"}, "to": {"2026-12-01"}})
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/gzip" ||
		!regexp.MustCompile(`^attachment; filename="retentiond-evidence-\d{8}-\d{6}\.tar\.gz"$`).MatchString(resp.Header.Get("Content-Disposition")) {
		t.Fatalf("bundle: %s %v", resp.Status, resp.Header)
	}
	dir := t.TempDir()
	names := untar(t, resp.Body, dir)
	top := strings.SplitN(names[0], "/", 2)[0]
	root := filepath.Join(dir, top)
	if !bundle.IsBundle(root) {
		t.Fatalf("not a bundle: %v", names)
	}
	rep, err := bundle.Verify(ctx, root, bundle.Options{})
	if err != nil {
		t.Fatalf("the downloaded bundle does not verify: %v", err)
	}
	cp, _, _ := e.p.Store.LatestCheckpoint(ctx)
	if rep.Report.Entries != cp.N || rep.Export.From == "" {
		t.Errorf("bundle report %+v, checkpoint %d", rep.Report, cp.N)
	}
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		for _, secret := range []string{"fest/", "elevplan", "alert(1)", "note</i>", "students/1001"} {
			if strings.Contains(n, secret) || bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds %q", n, secret)
			}
		}
	}
	// Nothing is left beside the database but the export still young.
	if left, _ := filepath.Glob(filepath.Join(dbDir, ".console-export-*")); len(left) != 1 || filepath.Base(left[0]) != ".console-export-2" {
		t.Errorf("left behind: %v", left)
	}

	if resp := postRaw(t, e, eva, "/ledger/bundle", url.Values{"from": {"2026-12-01"}, "to": {"2026-11-01"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a period ending before it begins: %s", resp.Status)
	} else {
		resp.Body.Close()
	}
	it := e.signIn("it")
	resp2 := postRaw(t, e, it, "/ledger/bundle", url.Values{})
	b, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "does not have the auditor role") {
		t.Errorf("operator's bundle: %s\n%s", resp2.Status, b)
	}
	_, page := get(t, it, e.ts.URL+"/ledger")
	if strings.Contains(page, `action="/ledger/bundle"`) || strings.Contains(page, `action="/ledger/proof"`) || !strings.Contains(page, `action="/ledger/verify"`) {
		t.Errorf("operator's ledger page offers the evidence or not verify:\n%s", page)
	}
}

// TestProofDownload: the auditor proves a deleted item by its path,
// posted (never in a URL); the .tlog-proof verifies with the ledger's key
// and is about that item. An item never deleted and an unknown one are
// refused with the reason.
func TestProofDownload(t *testing.T) {
	e, logs := newDashEnv(t, "en")
	fillDash(t, e)
	eva := e.signIn("eva")
	resp := postRaw(t, e, eva, "/ledger/proof", url.Values{"source": {"src"}, "item": {"one/fest/a.jpg"}})
	pf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !regexp.MustCompile(`^attachment; filename="src-entry-\d+\.tlog-proof"$`).MatchString(resp.Header.Get("Content-Disposition")) {
		t.Fatalf("proof: %s %v\n%s", resp.Status, resp.Header, pf)
	}
	vs, err := ledger.NewVerifiers(e.p.Signer.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	res, err := ledger.VerifyProof(pf, vs, e.p.Config.Origin)
	if err != nil {
		t.Fatalf("the downloaded proof does not verify: %v", err)
	}
	ring, err := ledger.LoadRefKeyRing(e.p.Config.Keys.References)
	if err != nil {
		t.Fatal(err)
	}
	refs := ring.Refs("item:memory:src", "one/fest/a.jpg")
	if res.Entry.Type != ledger.TypeDeletion || res.Entry.Outcome != "deleted" || !strings.Contains(strings.Join(refs, " "), res.Entry.Item) {
		t.Fatalf("proven entry %+v", res.Entry)
	}
	for _, c := range []struct {
		item   string
		status int
		says   string
	}{
		{"two/a.txt", http.StatusNotFound, "no entry about this item"},
		{"nowhere/x.txt", http.StatusNotFound, "no entry about this item"},
		{"", http.StatusBadRequest, "give the item"},
	} {
		resp, body := post(t, e, eva, "/ledger/proof", url.Values{"source": {"src"}, "item": {c.item}})
		if resp.StatusCode != c.status || !strings.Contains(body, c.says) {
			t.Errorf("proof of %q: %s\n%s", c.item, resp.Status, body)
		}
		if c.item != "" && (strings.Contains(resp.Request.URL.String(), "nowhere") || !strings.Contains(body, `value="`+c.item+`"`)) {
			t.Errorf("proof of %q: URL %s, form not given back", c.item, resp.Request.URL)
		}
	}
	for _, en := range logs.All() {
		if strings.Contains(fmt.Sprint(en.Message, en.ContextMap()), "fest") {
			t.Errorf("a log line holds the path: %v %v", en.Message, en.ContextMap())
		}
	}
}

// TestExplainPage: an auditor looks a former student up with a POST form:
// the page shows the export's facts, the history and every planned item
// with its reason, names escaped; the URL and the log hold nothing of
// whom was looked up. An operator who is neither auditor nor approver may
// not; an unknown person and a malformed key say so.
func TestExplainPage(t *testing.T) {
	e, logs := newDashEnv(t, "en")
	fillDash(t, e)
	eva := e.signIn("eva")
	if resp, page := get(t, eva, e.ts.URL+"/explain"); resp.StatusCode != http.StatusOK || !strings.Contains(page, `<form method="post" action="/explain"`) {
		t.Fatalf("explain form: %s\n%s", resp.Status, page)
	}
	resp, page := post(t, e, eva, "/explain", url.Values{"key": {"student:1001"}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.RawQuery != "" || resp.Request.URL.Path != "/explain" {
		t.Fatalf("lookup: %s %s\n%s", resp.Status, resp.Request.URL, page)
	}
	for _, want := range []string{"About student:1001", "left 2026-06-20", "first listed", "students/1001/elevplan.docx", "Exports imported", `class="badge s-done">applied</span>`,
		"students/1001/&lt;i&gt;note&lt;/i&gt;.txt", "due (S3)"} {
		if !strings.Contains(page, want) {
			t.Errorf("explain page lacks %q", want)
		}
	}
	if strings.Contains(page, "<i>note</i>") || strings.Contains(page, "1002/elevplan") {
		t.Errorf("raw name, or another person's item, on the page:\n%s", page)
	}
	for _, c := range []struct {
		key    string
		status int
		says   string
	}{
		{"student:9999", http.StatusNotFound, "Nothing is known about this person"},
		{"1001", http.StatusBadRequest, "Name the person as kind:id"},
		{"", http.StatusBadRequest, "Say whom to look up"},
	} {
		resp, body := post(t, e, eva, "/explain", url.Values{"key": {c.key}})
		if resp.StatusCode != c.status || !strings.Contains(body, c.says) {
			t.Errorf("lookup %q: %s\n%s", c.key, resp.Status, body)
		}
	}
	it := e.signIn("it")
	if resp, body := post(t, e, it, "/explain", url.Values{"key": {"student:1001"}}); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "elevplan") {
		t.Errorf("operator's lookup: %s\n%s", resp.Status, body)
	}
	if resp, body := post(t, e, it, "/explain", url.Values{"key": {"1001"}}); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "export_001") {
		t.Errorf("operator's malformed lookup: %s\n%s", resp.Status, body)
	}
	if resp, _ := get(t, it, e.ts.URL+"/explain"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("operator's lookup form: %s", resp.Status)
	}
	anna := e.signIn("anna")
	if resp, body := post(t, e, anna, "/explain", url.Values{"key": {"student:1001"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "elevplan") {
		t.Errorf("approver's lookup: %s", resp.Status)
	}
	found := 0
	for _, en := range logs.All() {
		s := fmt.Sprint(en.Message, en.ContextMap())
		if strings.Contains(s, "1001") || strings.Contains(s, "Alma") {
			t.Errorf("a log line holds whom was looked up: %s", s)
		}
		if en.Message == "person looked up" {
			found++
		}
	}
	// Looked up: student:1001 and student:9999 by eva, student:1001 by
	// anna; an empty or malformed key and the operator's are refused
	// before.
	if found != 3 {
		t.Errorf("%d lookups logged, want 3", found)
	}
}

// TestAuditorChangesNothing: an auditor's posts to every state-changing
// route of the console (decisions on batches, the operators' actions)
// are refused, and the batches, approvals, holds and ledger are as they
// were.
func TestAuditorChangesNothing(t *testing.T) {
	e, _ := newDashEnv(t, "en")
	bs := fillDash(t, e)
	ctx := context.Background()
	snapshot := func() string {
		all, err := e.p.Store.Batches(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, x := range all {
			as, _ := e.p.Store.Approvals(ctx, x.ID)
			ws, _ := e.p.Store.BatchWithdrawals(ctx, x.ID)
			fmt.Fprintf(&b, "%d %s %d %d %d;", x.ID, x.Status, x.Withdrawn, len(as), len(ws))
		}
		n, _ := e.p.Store.TreeSize(ctx)
		hs, _ := e.p.Store.Holds(ctx, true)
		fmt.Fprintf(&b, "ledger %d holds %d", n, len(hs))
		return b.String()
	}
	before := snapshot()
	eva := e.signIn("eva")
	two := bs["TWO"]
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/batches/%d/approve", two.ID), url.Values{"fingerprint": {two.Fingerprint}}},
		{fmt.Sprintf("/batches/%d/reject", two.ID), url.Values{"reason": {"no"}}},
		{fmt.Sprintf("/batches/%d/exclude", two.ID), url.Values{"reason": {"no"}, "paths": {"two/a.txt"}}},
		{"/ops/plan", url.Values{"source": {"src"}}},
		{fmt.Sprintf("/ops/batches/%d/confirm", two.ID), url.Values{}},
		{fmt.Sprintf("/ops/batches/%d/execute", two.ID), url.Values{}},
		{"/ops/notify-test", url.Values{}},
		{"/ops/holds", url.Values{"id": {"H1"}, "reason": {"case"}, "source": {"src"}, "path": {"two/**"}}},
		{"/ops/holds/H1/release", url.Values{}},
		{"/ops/instructions", url.Values{}},
		{"/ops/instructions/I-1/confirm", url.Values{}},
	} {
		resp, body := post(t, e, eva, c.path, c.form)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor's post to %s: %s\n%s", c.path, resp.Status, body)
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("the auditor's posts changed something:\n%s\n%s", before, after)
	}
}

// TestDashboardSignedOut: the pages and forms need a session; a form
// posted without one is sent to sign in and back to its page, not
// replayed.
func TestDashboardSignedOut(t *testing.T) {
	e, _ := newDashEnv(t, "en")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, next := range map[string]string{"/dashboard": "/dashboard", "/ledger": "/ledger", "/explain": "/explain"} {
		resp, _ := get(t, noRedirect, e.ts.URL+path)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?next="+url.QueryEscape(next) {
			t.Errorf("GET %s signed out: %s %s", path, resp.Status, resp.Header.Get("Location"))
		}
	}
	for path, next := range map[string]string{"/ledger/verify": "/ledger", "/ledger/bundle": "/ledger", "/ledger/proof": "/ledger", "/explain": "/explain"} {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader("key=student%3A1001"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?next="+url.QueryEscape(next) {
			t.Errorf("POST %s signed out: %s %s", path, resp.Status, resp.Header.Get("Location"))
		}
	}
	if v := lastVerify(t, e); v != nil {
		t.Errorf("a signed-out post verified: %+v", v)
	}
}

// TestDeletionCountsKept: the counts Tx.Append keeps (migration 019) are
// the deletion entries of the ledger, parsed, per minute and outcome; and
// a migration of a database that already holds entries counts them.
func TestDeletionCountsKept(t *testing.T) {
	e, _ := newDashEnv(t, "en")
	fillDash(t, e)
	ctx := context.Background()
	want := map[string]int64{}
	err := e.p.Store.Entries(ctx, func(_ int64, data []byte) error {
		en, err := ledger.Parse(data)
		if err == nil && en.Type == ledger.TypeDeletion {
			want[en.Time.UTC().Format("2006-01-02T15:04")+" "+en.Outcome]++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := func() map[string]int64 {
		cs, err := e.p.Store.DeletionCounts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, c := range cs {
			out[c.Minute+" "+c.Outcome] += c.N
		}
		return out
	}
	if len(want) < 2 || fmt.Sprint(got()) != fmt.Sprint(want) {
		t.Fatalf("counts %v, ledger %v", got(), want)
	}
	// As migration 016 found a ledger: the counts made again from the
	// entries by its own statement.
	db, err := sql.Open("sqlite", e.p.Config.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mig, err := os.ReadFile(filepath.Join("..", "store", "migrations", "016_dashboard.sql"))
	if err != nil {
		t.Fatal(err)
	}
	backfill := string(mig)[strings.Index(string(mig), "INSERT INTO ledger_deletion_count(minute, outcome, n)\nSELECT"):]
	backfill = backfill[:strings.Index(backfill, ";")]
	if _, err := db.Exec(`DELETE FROM ledger_deletion_count`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(backfill); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got()) != fmt.Sprint(want) {
		t.Fatalf("counts made by the migration %v, ledger %v", got(), want)
	}
}

// BenchmarkDashboard measures the dashboard's server time on a store with
// many batches and a long ledger: RETENTIOND_BENCH_ENTRIES deletion
// entries (default 200,000) spread over a year, 2,000 batches in every
// status. Run with
//
//	RETENTIOND_BENCH_ENTRIES=1000000 go test ./web -run '^$' -bench BenchmarkDashboard -benchtime 20x
func BenchmarkDashboard(b *testing.B) {
	n := 200_000
	if v := os.Getenv("RETENTIOND_BENCH_ENTRIES"); v != "" {
		fmt.Sscan(v, &n)
	}
	e, _ := newDashEnv(b, "en")
	ctx := context.Background()
	e.src.Put("one/a.jpg", []byte("a"), start.Add(-5*24*time.Hour))
	if _, err := e.p.Plan(ctx, scheduler.PlanOptions{Source: "src", Planner: "it"}); err != nil {
		b.Fatal(err)
	}
	k, err := ledger.NewRefKey(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	outcomes := []string{"deleted", "deleted", "deleted", "absent", "failed", "archived"}
	for done := 0; done < n; {
		var leaves [][]byte
		for ; done < n && len(leaves) < 10_000; done++ {
			en := ledger.Entry{Type: ledger.TypeDeletion, Time: start.Add(-time.Duration(done%365) * 24 * time.Hour).Add(time.Duration(done) * time.Millisecond),
				Source: "src", SourceKind: "memory", Item: k.Ref("item:memory:src", fmt.Sprint(done)), Size: 1234,
				Policy: "skole", PolicyDigest: "sha256:" + strings.Repeat("ab", 32), Rule: "ONE", Batch: int64(1 + done%2000),
				Approvals: []string{"anna"}, Outcome: outcomes[done%len(outcomes)], Method: "delete"}
			if en.Outcome == "failed" {
				en.Code = "permission_denied"
			}
			data, err := en.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			leaves = append(leaves, data)
		}
		if err := e.p.Store.Write(ctx, func(tx *store.Tx) error { _, err := tx.Append(leaves...); return err }); err != nil {
			b.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", e.p.Config.Database)
	if err != nil {
		b.Fatal(err)
	}
	statuses := []string{"pending", "guarded", "approved", "done", "rejected", "superseded", "withdrawn"}
	for i := range 2000 {
		_, err := db.Exec(`INSERT INTO batch(plan_id, source, rule, policy, policy_digest, created_at, planner, items, bytes, fingerprint, status, updated_at, deleted, failed)
			VALUES (1, 'src', 'ONE', 'skole', '', ?, 'it', 500, 1000, '', ?, ?, 480, 20)`,
			start.Add(-time.Duration(i)*time.Hour).Format(time.RFC3339), statuses[i%len(statuses)], start.Add(-time.Duration(i)*time.Hour).Format(time.RFC3339))
		if err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	eva := e.signIn("eva")
	b.Run("pipeline", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.p.Dashboard(ctx, "eva"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			resp, err := eva.Get(e.ts.URL + "/dashboard")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatal(resp.Status)
			}
		}
	})
}

// TestDeletionsPerLocalMonth: deletions are counted in the month of the
// configured time zone: 23:30 UTC on 31 October is 1 November in
// Copenhagen; 23:30 UTC on 30 November is 1 December, after the chart's
// last month.
func TestDeletionsPerLocalMonth(t *testing.T) {
	e, _ := newDashEnvEdit(t, "en", func(s string) string {
		return strings.Replace(s, "policies: [policy.yaml]\n", "policies: [policy.yaml]\ntimezone: Europe/Copenhagen\n", 1)
	})
	ctx := context.Background()
	k, err := ledger.NewRefKey(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	var leaves [][]byte
	for i, c := range []struct {
		at      string
		outcome string
	}{
		{"2026-10-31T22:59:00Z", "deleted"}, // 23:59 in October, Copenhagen (CET)
		{"2026-10-31T23:30:00Z", "deleted"}, // 00:30 on 1 November
		{"2026-11-15T10:00:00Z", "failed"},
		{"2026-11-15T10:00:30Z", "deleted"},
		{"2026-11-30T23:30:00Z", "deleted"}, // 1 December
		{"2025-11-30T22:00:00Z", "deleted"}, // 23:00 on 30 November 2025: before the 12 months
		{"2025-11-30T23:00:00Z", "absent"},  // 1 December 2025: the first month
	} {
		at, _ := time.Parse(time.RFC3339, c.at)
		en := ledger.Entry{Type: ledger.TypeDeletion, Time: at, Source: "src", SourceKind: "memory", Item: k.Ref("item:memory:src", fmt.Sprint(i)),
			Rule: "ONE", Batch: 1, Approvals: []string{"anna"}, Outcome: c.outcome, Method: "delete"}
		if c.outcome == "failed" {
			en.Code = "permission_denied"
		}
		data, err := en.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, data)
	}
	if err := e.p.Store.Write(ctx, func(tx *store.Tx) error { _, err := tx.Append(leaves...); return err }); err != nil {
		t.Fatal(err)
	}
	d, err := e.p.Dashboard(ctx, "eva")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range d.Months {
		got[m.Month] = fmt.Sprintf("%d/%d/%d/%d", m.Deleted, m.Archived, m.Failed, m.Other)
	}
	want := map[string]string{"2025-12": "0/0/0/1", "2026-10": "1/0/0/0", "2026-11": "2/0/1/0"}
	if len(d.Months) != 12 || d.Months[0].Month != "2025-12" || d.Months[11].Month != "2026-11" {
		t.Fatalf("months %v", d.Months)
	}
	for m, w := range want {
		if got[m] != w {
			t.Errorf("%s: %s, want %s", m, got[m], w)
		}
	}
	if _, err := e.p.Dashboard(ctx, "nobody"); !errors.Is(err, scheduler.ErrNotAllowed) {
		t.Errorf("a stranger's dashboard: %v", err)
	}
}
