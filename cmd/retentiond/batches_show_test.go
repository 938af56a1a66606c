package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
)

// reviewNames are the files of the review share: plain names, and names
// that try to fake what a reviewer sees or to run as a spreadsheet formula.
var reviewNames = []string{
	"old/a.txt",
	"old/b.txt",
	"old/c.txt",
	"old/esc\x1b[2Jclear.txt",
	"old/lf\nfake.txt",
	"old/rtl\u202etxt.exe",
	"=HYPERLINK(\"x.invalid\",\"click\").txt",
	"+1+1.txt",
	"@SUM(A1).txt",
}

// reviewShare writes a share with reviewNames untouched since 2020, a rule
// that needs a school leader and then the DPO, and returns the
// configuration and a runner that fails the test on an error.
func reviewShare(t *testing.T) (dir, cfg string, rt func(args ...string) string) {
	t.Helper()
	dir = t.TempDir()
	old := time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, n := range reviewNames {
		p := filepath.Join(dir, "share", n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("content of "+n), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
id: shares
rules:
  - id: old-files
    title: Files untouched for 3 years
    type: delete_after
    sources: [share]
    from: item.modified
    keep: P3Y
    approval:
      - {group: leaders, count: 1}
      - {group: dpo, count: 1}
`), 0o644)
	cfg = filepath.Join(dir, "retentiond.yaml")
	os.WriteFile(cfg, []byte(`version: 1
timezone: Europe/Copenhagen
database: retentiond.db
keys: {signing: keys/ledger.key, references: keys/references.key}
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: anna, name: Anna, email: anna@skole.example, roles: [approver], groups: [leaders]}
  - {id: bo, name: Bo, email: bo@skole.example, roles: [approver], groups: [dpo]}
  - {id: it, name: IT, email: it@skole.example, roles: [operator]}
sources:
  - {name: share, kind: fileshare, options: {root: share}}
`), 0o644)
	rt = func(args ...string) string {
		t.Helper()
		return mustRun(t, append(args, "--config", cfg)...)
	}
	return dir, cfg, rt
}

// readCSV parses a `batches show --format csv` output into rows by path
// (unescaped), checking the header and that no cell holds a raw control
// or starts as a formula.
func readCSV(t *testing.T, out string) map[string][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v\n%s", err, out)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(showHeader, ",") {
		t.Fatalf("csv header %q", recs)
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		for _, c := range r {
			if c != "" && strings.ContainsAny(c[:1], "=+-@") {
				t.Errorf("cell %q starts a formula", c)
			}
			if strings.ContainsAny(c, "\x1b\n\r\u202e") {
				t.Errorf("cell %q holds a raw control or bidi character", c)
			}
		}
		name, err := safetext.UnCSV(r[0])
		if err != nil {
			t.Fatalf("path cell %q: %v", r[0], err)
		}
		rows[name] = r
	}
	return rows
}

// TestBatchesShowFormats: csv, json, jsonl and xlsx list every item of the
// batch with its size, modified date, rule, due date and reason; names are
// escaped in csv (controls, formulas) and xlsx (controls; cells are text,
// never formulas) and kept as they are in json; text pages with --limit.
func TestBatchesShowFormats(t *testing.T) {
	dir, _, rt := reviewShare(t)
	rt("plan")

	rows := readCSV(t, rt("batches", "show", "1", "--format", "csv"))
	if len(rows) != len(reviewNames) {
		t.Fatalf("csv has %d items, want %d: %v", len(rows), len(reviewNames), rows)
	}
	for _, n := range reviewNames {
		r, ok := rows[n]
		if !ok {
			t.Errorf("csv lacks %q", n)
			continue
		}
		if r[1] != itoa(len("content of "+n)) || r[2] != "2020-03-01" || r[3] != "old-files" || r[4] != "2023-03-01" ||
			!strings.Contains(r[5], "2023-03-01") || r[7] != "in_batch" {
			t.Errorf("csv row of %q: %q", n, r)
		}
	}
	if r := rows["=HYPERLINK(\"x.invalid\",\"click\").txt"]; r == nil || !strings.HasPrefix(r[0], "'=") {
		t.Errorf("formula cell not neutralised: %q", r)
	}
	if r := rows["old/esc\x1b[2Jclear.txt"]; r == nil || r[0] != `old/esc\x1b[2Jclear.txt` {
		t.Errorf("escape sequence not shown escaped: %q", r)
	}

	// json: one object, items complete, names as they are.
	var doc struct {
		Batch struct {
			ID    int64 `json:"id"`
			Items int64 `json:"items"`
		} `json:"batch"`
		Approvals string    `json:"approvals"`
		Items     []showRow `json:"items"`
	}
	if err := json.Unmarshal([]byte(rt("batches", "show", "1", "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, it := range doc.Items {
		paths = append(paths, it.Path)
	}
	slices.Sort(paths)
	want := slices.Clone(reviewNames)
	slices.Sort(want)
	if doc.Batch.ID != 1 || doc.Batch.Items != int64(len(reviewNames)) || !slices.Equal(paths, want) || doc.Approvals != "leaders 0/1, dpo 0/1" {
		t.Fatalf("json: %+v", doc)
	}

	// jsonl: a line per item.
	sc := bufio.NewScanner(strings.NewReader(rt("batches", "show", "1", "--format", "jsonl")))
	n := 0
	for sc.Scan() {
		var r showRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.State != "in_batch" {
			t.Fatalf("jsonl line %q: %v", sc.Text(), err)
		}
		n++
	}
	if n != len(reviewNames) {
		t.Fatalf("jsonl has %d lines", n)
	}

	// xlsx: one header row and every item; the formula-like name is a
	// text cell.
	xf := filepath.Join(dir, "batch-1.xlsx")
	rt("batches", "show", "1", "--format", "xlsx", "--output", xf)
	if fi, err := os.Stat(xf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("xlsx file: %v %v", fi, err)
	}
	x, err := excelize.OpenFile(xf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	xrows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(xrows) != len(reviewNames)+1 || strings.Join(xrows[0], ",") != strings.Join(showHeader[:len(xrows[0])], ",") {
		t.Fatalf("xlsx rows: %q", xrows)
	}
	found := 0
	for i, r := range xrows[1:] {
		name, err := safetext.Unescape(r[0])
		if err != nil || !slices.Contains(reviewNames, name) {
			t.Errorf("xlsx path %q (%v)", r[0], err)
		}
		if strings.ContainsAny(r[0], "\x1b\n\u202e") {
			t.Errorf("xlsx cell %q holds a raw control", r[0])
		}
		if strings.HasPrefix(name, "=") {
			found++
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if f, _ := x.GetCellFormula(sheet, cell); f != "" {
				t.Errorf("xlsx cell %s is a formula %q", cell, f)
			}
			if typ, _ := x.GetCellType(sheet, cell); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
				t.Errorf("xlsx cell %s has type %v", cell, typ)
			}
		}
	}
	if found != 1 {
		t.Errorf("xlsx: the formula-like name found %d times", found)
	}
	if _, err := run(t, "batches", "show", "1", "--format", "xlsx", "--config", filepath.Join(dir, "retentiond.yaml")); err == nil {
		t.Error("xlsx to standard output accepted")
	}
	if _, err := run(t, "batches", "show", "1", "--format", "pdf", "--config", filepath.Join(dir, "retentiond.yaml")); err == nil {
		t.Error("--format pdf accepted")
	}

	// text: escaped, paged.
	out := rt("batches", "show", "1", "--limit", "2")
	if strings.ContainsAny(out, "\x1b\u202e") || strings.Contains(out, "\nfake.txt") {
		t.Errorf("text shows a raw name:\n%s", out)
	}
	if !strings.Contains(out, "… and 7 more (--limit 0 shows all)") {
		t.Errorf("text is not paged:\n%s", out)
	}
	out = rt("batches", "show", "1", "--limit", "0")
	for _, n := range reviewNames {
		if !strings.Contains(out, "\n  "+safetext.Name(n)+"\n") {
			t.Errorf("text lacks %q:\n%s", n, out)
		}
	}
}

func itoa(n int) string { return fmtInt(n) }

// TestBatchesShowAfterExecution: a file changed after approval is skipped
// at execution, and `batches show` names it with its outcome in text, csv
// and json; the other items show as deleted. Before execution, an item in
// the withdrawal table shows as withdrawn with its code and successor.
func TestBatchesShowAfterExecution(t *testing.T) {
	dir, _, rt := reviewShare(t)
	rt("plan")
	rt("batches", "approve", "1", "--as", "anna")
	rt("batches", "approve", "1", "--as", "bo")
	changed := filepath.Join(dir, "share", "old", "b.txt")
	if err := os.WriteFile(changed, []byte("edited after approval"), 0o644); err != nil {
		t.Fatal(err)
	}
	rt("execute", "--as", "it")

	out := rt("batches", "show", "1")
	if !strings.Contains(out, "1 item not deleted:\n  old/b.txt\n    skipped (changed)\n") {
		t.Fatalf("batches show does not list the skipped item:\n%s", out)
	}
	if !strings.Contains(out, "  old/a.txt\n") || !strings.Contains(out, "    deleted\n") {
		t.Fatalf("batches show does not show the deleted items:\n%s", out)
	}
	rows := readCSV(t, rt("batches", "show", "1", "--format", "csv"))
	for _, n := range reviewNames {
		want := "deleted"
		if n == "old/b.txt" {
			want = "changed"
		}
		if r := rows[n]; r == nil || r[7] != want {
			t.Errorf("csv state of %q: %q, want %s", n, r, want)
		}
	}
}

// TestBatchesShowWithdrawn: an item of the withdrawal table shows as
// withdrawn, with its code and the batch its new version went into.
func TestBatchesShowWithdrawn(t *testing.T) {
	dir, _, rt := reviewShare(t)
	rt("plan")
	db, err := sql.Open("sqlite", filepath.Join(dir, "retentiond.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO withdrawal(batch_id, ref, version, code, plan_id, successor, at) VALUES (1, 'old/c.txt', 'v', 'changed', 2, 9, '2026-11-22T10:00:00Z')`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := rt("batches", "show", "1")
	if !strings.Contains(out, "1 item withdrawn:\n  old/c.txt\n    withdrawn (changed), now in batch 9\n") {
		t.Fatalf("batches show does not list the withdrawn item:\n%s", out)
	}
	rows := readCSV(t, rt("batches", "show", "1", "--format", "csv"))
	if r := rows["old/c.txt"]; r == nil || r[7] != "withdrawn" || r[8] != "changed" || r[9] != "9" {
		t.Errorf("csv row of the withdrawn item: %q", r)
	}
	if r := rows["old/a.txt"]; r == nil || r[7] != "in_batch" {
		t.Errorf("csv row of an item in the batch: %q", r)
	}
}

// TestStateWords: how text names each outcome.
func TestStateWords(t *testing.T) {
	for _, c := range []struct {
		state, code string
		succ        int64
		want        string
	}{
		{"in_batch", "", 0, ""},
		{"deleted", "", 0, "deleted"},
		{"changed", "", 0, "skipped (changed)"},
		{"not_due", "", 0, "skipped (not_due)"},
		{"skipped_hold", "", 0, "skipped (skipped_hold)"},
		{"failed", "permission_denied", 0, "failed (permission_denied)"},
		{"withdrawn", "absent", 0, "withdrawn (absent)"},
		{"withdrawn", "changed", 9, "withdrawn (changed), now in batch 9"},
	} {
		if got := stateWords(c.state, c.code, c.succ); got != c.want {
			t.Errorf("stateWords(%q, %q, %d) = %q, want %q", c.state, c.code, c.succ, got, c.want)
		}
	}
}

// TestBatchesListWaitingForAndStatus: --waiting-for lists the batches whose
// first open stage is the person's and which the person has not approved;
// --status filters and refuses an unknown status.
func TestBatchesListWaitingForAndStatus(t *testing.T) {
	_, cfg, rt := reviewShare(t)
	rt("plan")
	if out := rt("batches", "list"); !strings.Contains(out, "leaders 0/1, dpo 0/1") || !strings.Contains(out, "pending") {
		t.Fatalf("batches list:\n%s", out)
	}
	if out := rt("batches", "list", "--waiting-for", "anna"); !strings.Contains(out, "\n1 ") {
		t.Fatalf("anna's list:\n%s", out)
	}
	if out := rt("batches", "list", "--waiting-for", "bo"); !strings.Contains(out, "no batch waits for bo's approval") {
		t.Fatalf("bo's list before anna approved:\n%s", out)
	}
	rt("batches", "approve", "1", "--as", "anna")
	if out := rt("batches", "list", "--waiting-for", "anna"); !strings.Contains(out, "no batch waits for anna's approval") {
		t.Fatalf("anna's list after she approved:\n%s", out)
	}
	if out := rt("batches", "list", "--waiting-for", "bo"); !strings.Contains(out, "leaders 1/1, dpo 0/1") {
		t.Fatalf("bo's list after anna approved:\n%s", out)
	}
	if out := rt("batches", "list", "--waiting-for", "it"); !strings.Contains(out, "no batch waits for it's approval") {
		t.Fatalf("an operator's list:\n%s", out)
	}
	if _, err := run(t, "batches", "list", "--waiting-for", "mallory", "--config", cfg); err == nil {
		t.Fatal("--waiting-for an unknown person accepted")
	}
	if out := rt("batches", "list", "--status", "done,rejected"); !strings.Contains(out, "no batches are done or rejected") {
		t.Fatalf("--status done,rejected:\n%s", out)
	}
	if out := rt("batches", "list", "--status", "pending"); !strings.Contains(out, "leaders 1/1, dpo 0/1") {
		t.Fatalf("--status pending:\n%s", out)
	}
	out, err := run(t, "batches", "list", "--status", "pendng", "--config", cfg)
	if err == nil || !strings.Contains(err.Error(), `--status "pendng" is not a batch status: use guarded, pending`) {
		t.Fatalf("--status pendng: %v\n%s", err, out)
	}
}

// TestPlanJSONL: plan --format jsonl lists the plan and every stored item,
// one JSON object a line; --all lists every item in text.
func TestPlanJSONL(t *testing.T) {
	dir, _, rt := reviewShare(t)
	os.MkdirAll(filepath.Join(dir, "share", "new"), 0o755)
	os.WriteFile(filepath.Join(dir, "share", "new", "recent.txt"), []byte("x"), 0o644)
	out := rt("plan", "--format", "jsonl")
	sc := bufio.NewScanner(strings.NewReader(out))
	var items []planItemJSON
	var head planHeadJSON
	for sc.Scan() {
		var typ struct{ Type string }
		if err := json.Unmarshal(sc.Bytes(), &typ); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		switch typ.Type {
		case "plan":
			json.Unmarshal(sc.Bytes(), &head)
		case "item":
			var it planItemJSON
			json.Unmarshal(sc.Bytes(), &it)
			items = append(items, it)
		default:
			t.Fatalf("line %q", sc.Text())
		}
	}
	if head.Plan == nil || head.Plan.Due != int64(len(reviewNames)) || head.KeptNotStored != 1 || len(items) != len(reviewNames) {
		t.Fatalf("jsonl: head %+v, %d items\n%s", head, len(items), out)
	}
	for _, it := range items {
		if it.Verdict != "due" || it.Batch != 1 || it.Rule != "old-files" || it.Version == "" || it.Reason == "" || !slices.Contains(reviewNames, it.Ref) {
			t.Errorf("item %+v", it)
		}
	}
	// The next plan finds them in the open batch.
	out = rt("plan", "--all")
	if strings.Count(out, "already in batch 1") != len(reviewNames) {
		t.Errorf("plan --all:\n%s", out)
	}
}

// TestBatchesShowPartialExecution: a batch whose execution stopped part
// way (deletion entries for some items only, one failed with a code) shows
// each recorded outcome, and the items without one as not executed yet.
func TestBatchesShowPartialExecution(t *testing.T) {
	dir, _, rt := reviewShare(t)
	rt("plan")
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "retentiond.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	refs, err := ledger.LoadRefKey(filepath.Join(dir, "keys", "references.key"))
	if err != nil {
		t.Fatal(err)
	}
	var leaves [][]byte
	for _, c := range []struct{ path, outcome, code string }{
		{"old/a.txt", "deleted", ""},
		{"old/b.txt", "failed", "permission_denied"},
		{"old/c.txt", "changed", ""},
	} {
		e := ledger.Entry{Type: ledger.TypeDeletion, Time: fixedNow, Batch: 1, Source: "share", SourceKind: "fileshare",
			Item: refs.Ref("item:fileshare:share", c.path), Outcome: c.outcome, Code: c.code}
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, b)
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Append(leaves...)
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, rt("batches", "show", "1", "--format", "csv"))
	for path, want := range map[string][2]string{
		"old/a.txt":    {"deleted", ""},
		"old/b.txt":    {"failed", "permission_denied"},
		"old/c.txt":    {"changed", ""},
		"+1+1.txt":     {"pending", ""},
		"@SUM(A1).txt": {"pending", ""},
	} {
		if r := rows[path]; r == nil || r[7] != want[0] || r[8] != want[1] {
			t.Errorf("csv row of %q: %q, want state %s code %s", path, r, want[0], want[1])
		}
	}
	out := rt("batches", "show", "1")
	for _, want := range []string{"  old/b.txt\n    failed (permission_denied)\n", "  old/c.txt\n    skipped (changed)\n", "    deleted\n", "  +1+1.txt\n    not executed yet\n", "8 items not deleted:"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}
