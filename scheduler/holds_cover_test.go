package scheduler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/fileshare"
	"github.com/retentiond/retentiond/connectors/memory"
)

// coverEnv is a pipeline over a real file share (listed by folder) and a
// memory source (which the check cannot list by folder).
func coverEnv(t *testing.T) (p *Pipeline, share string, mail *memory.Source) {
	t.Helper()
	dir := t.TempDir()
	name := strings.ReplaceAll(t.Name(), "/", "_")
	mail = memory.New(name)
	memory.Register(name, mail)
	share = filepath.Join(dir, "share")
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(testPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "retentiond.yaml")
	cfgText := strings.Replace(fmt.Sprintf(testConfig, name), "sources:\n  - name: src\n", "sources:\n  - name: share\n    kind: fileshare\n    options: {root: share}\n  - name: mail\n", 1)
	if err := os.WriteFile(cfgFile, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		path string
		age  time.Duration
	}{
		{"old/a.txt", 40 * 24 * time.Hour},                   // due: in the plan
		{"Personale/Fratrådte/4711/kontrakt.pdf", time.Hour}, // no rule: plainly kept, in no plan
	} {
		full := filepath.Join(share, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(f.path), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(full, now.Add(-f.age), now.Add(-f.age)); err != nil {
			t.Fatal(err)
		}
	}
	mail.Put("anna.mbx/old", []byte("x"), now.Add(-40*24*time.Hour)) // due: in the plan
	mail.Put("bo.mbx/new", []byte("x"), now.Add(-time.Hour))         // plainly kept: in no plan
	cfg, err := configs.Load(cfgFile, connectors.NewRegistry(memory.Kind(), fileshare.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	p, err = New(context.Background(), cfg, Deps{Clock: FixedClock{now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, share, mail
}

// TestHoldThatCoversNothingIsRefused: a --path hold that covers no file
// of its source now, nor any item of the source's latest plan, is refused
// with a message that says what was checked, and nothing is recorded;
// --force places it. A file the plan does not hold (plainly kept) is found
// by listing the share; in a source that cannot be listed by folder only
// the plan is checked, and the message says so.
func TestHoldThatCoversNothingIsRefused(t *testing.T) {
	p, share, _ := coverEnv(t)
	ctx := context.Background()
	add := func(h HoldSpec) (string, error) {
		h.Reason, h.Owner = "case 14", "dpo"
		return p.AddHold(ctx, "it", h)
	}
	refused := func(h HoldSpec, want ...string) {
		t.Helper()
		entries := ledgerLen(t, p)
		_, err := add(h)
		var u *UncoveredHoldError
		if !errors.As(err, &u) {
			t.Fatalf("hold %+v: %v, want it refused as covering nothing", h, err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("hold %+v: %v\nwant it to say %s", h, err, w)
			}
		}
		if n := ledgerLen(t, p); n != entries {
			t.Errorf("a refused hold added %d ledger entries", n-entries)
		}
	}

	// Before any plan: the share is listed.
	if _, err := add(HoldSpec{Source: "share", Path: "Personale/Fratrådte/**"}); err != nil {
		t.Fatalf("a hold over files in the share: %v", err)
	}
	refused(HoldSpec{Source: "share", Path: "Typo/**"},
		`hold covers no item: no file under "Typo/**" in source share now, and it has no plan yet; check the path, or add --force to place it anyway`)
	if _, err := add(HoldSpec{Source: "share", Path: "Typo/**", Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	// The mailbox source has no plan: it cannot be checked, so the hold is
	// placed.
	if _, err := add(HoldSpec{Source: "mail", Path: "typo.mbx/**"}); err != nil {
		t.Fatalf("a source that cannot be checked: %v", err)
	}

	for _, src := range []string{"share", "mail"} {
		if _, err := p.Plan(ctx, PlanOptions{Source: src, Planner: "it"}); err != nil {
			t.Fatal(err)
		}
	}
	plans, err := p.Store.LatestPlans(ctx)
	if err != nil || len(plans) != 2 {
		t.Fatalf("plans %+v: %v", plans, err)
	}
	planOf := map[string]int64{}
	for _, pl := range plans {
		planOf[pl.Source] = pl.ID
	}
	// Without --source every source is checked and named.
	refused(HoldSpec{Path: "Typo/**"},
		fmt.Sprintf(`no file under "Typo/**" in source share now, and none in its latest plan (plan %d)`, planOf["share"]),
		fmt.Sprintf(`no item under "Typo/**" in the latest plan of source mail (plan %d); memory cannot be listed by folder, so only the plan was checked`, planOf["mail"]))
	// A mailbox whose items are all plainly kept is in no plan: refused
	// (the documented limit of sources that cannot be listed by folder).
	refused(HoldSpec{Source: "mail", Path: "bo.mbx/**"}, "only the plan was checked")
	if _, err := add(HoldSpec{Source: "mail", Path: "anna.mbx/**"}); err != nil {
		t.Fatalf("a hold over an item of the latest plan: %v", err)
	}
	// An item gone from the share since the plan still counts: the plan
	// may have batched it.
	if err := os.Remove(filepath.Join(share, "old", "a.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := add(HoldSpec{Source: "share", Path: "old/**"}); err != nil {
		t.Fatalf("a hold over an item of the latest plan, gone now: %v", err)
	}
	// A ref outside the path covers nothing either.
	refused(HoldSpec{Source: "share", Path: "Personale/**", Ref: "old/a.txt"}, `no file under "Personale/**"`)

	// A pattern that starts with a wildcard lists the whole share; a
	// listing cut off at the limit cannot tell, so the hold is placed.
	refused(HoldSpec{Source: "share", Path: "**/nothing-here"}, `no file under "**/nothing-here" in source share now`)
	defer func(n int64) { coverLimit = n }(coverLimit)
	coverLimit = 1
	if _, err := add(HoldSpec{Source: "share", Path: "**/nothing-here"}); err != nil {
		t.Fatalf("a hold whose check was cut off: %v", err)
	}

	hs, err := p.Store.Holds(ctx, false)
	if err != nil || len(hs) != 6 {
		t.Fatalf("%d holds (%v), want the 6 placed", len(hs), err)
	}
}

func ledgerLen(t *testing.T, p *Pipeline) int {
	t.Helper()
	n := 0
	if err := p.Store.Entries(context.Background(), func(int64, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}
