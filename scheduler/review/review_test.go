package review

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/scheduler"
)

const policy = `version: 1
id: p
rules:
  - id: OLD
    title: Old files
    type: delete_after
    path: "old/**"
    from: item.modified
    keep: P30D
    approval:
      - {group: leaders, count: 1}
`

const config = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - name: src
    kind: memory
    options: {name: %s}
`

// TestRowsAndCSV: a batch's rows carry the reason and the state (in the
// batch; withdrawn with its code after an exclusion), EachRow stops at
// the limit, and WriteCSV escapes a control character.
func TestRowsAndCSV(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	name := "review_" + t.Name()
	src := memory.New(name)
	memory.Register(name, src)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policy), 0o644)
	file := filepath.Join(dir, "retentiond.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(config, name)), 0o644)
	cfg, err := configs.Load(file, connectors.NewRegistry(memory.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	p, err := scheduler.New(ctx, cfg, scheduler.Deps{Clock: scheduler.FixedClock{T: now}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, n := range []string{"old/a.txt", "old/=sum(1).txt", "old/bell\a.txt"} {
		src.Put(n, []byte(n), now.Add(-40*24*time.Hour))
	}
	res, err := p.Plan(ctx, scheduler.PlanOptions{Source: "src", Planner: "it"})
	if err != nil || len(res.Batches) != 1 {
		t.Fatalf("plan %+v (%v)", res, err)
	}
	b := res.Batches[0]
	if _, err := p.Exclude(ctx, b.ID, "anna", scheduler.ExcludeSpec{Refs: []string{"old/a.txt"}, DecisionOptions: scheduler.DecisionOptions{Reason: "kept"}}); err != nil {
		t.Fatal(err)
	}
	got, err := p.Store.Batch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := New(ctx, p, got)
	if err != nil {
		t.Fatal(err)
	}
	if st.Executed() || len(st.Withdrawn()) != 1 || st.NotDeleted() != 0 || st.PartlyExecuted() {
		t.Fatalf("states: executed %v, withdrawn %v", st.Executed(), st.Withdrawn())
	}
	states := map[string]string{}
	err = EachRow(ctx, p, got, st, 0, func(r *Row) error {
		states[r.Path] = r.State + "/" + r.Code
		if !strings.Contains(r.Reason, "under rule OLD (Old files)") {
			t.Errorf("reason %q", r.Reason)
		}
		return nil
	})
	if err != nil || states["old/a.txt"] != "withdrawn/excluded" || states["old/=sum(1).txt"] != "in_batch/" || len(states) != 3 {
		t.Fatalf("states %v (%v)", states, err)
	}
	n := 0
	if err := EachRow(ctx, p, got, st, 2, func(*Row) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("limit 2: %d rows (%v)", n, err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(ctx, &buf, p, got, st, 0); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(Header, ",") {
		t.Fatalf("csv %q (%v)", recs, err)
	}
	text := fmt.Sprint(recs)
	if strings.Contains(text, "\a") || !strings.Contains(text, `old/bell\a.txt`) {
		t.Fatalf("csv escaping: %q", recs)
	}
}
