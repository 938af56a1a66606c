package store

import (
	"context"
	"testing"
	"time"
)

func TestOwnerNotices(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	day1 := Time{Time: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	day2 := Time{Time: day1.AddDate(0, 0, 1)}
	n := func(ref, version, email string, at Time) OwnerNotice {
		return OwnerNotice{Source: "share", Ref: ref, Version: version, Rule: "r", Due: "2026-11-15", Owner: "anna", Email: email, FoundAt: at}
	}
	if err := s.SyncOwnerNotices(ctx, "share", []OwnerNotice{n("a", "1", "anna@x", day1), n("b", "1", "", day1)}, true); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingOwnerNotices(ctx)
	if err != nil || len(pending) != 2 || pending[0].Ref != "b" || pending[1].Ref != "a" {
		t.Fatalf("pending %+v, %v (want b, the operators', then a)", pending, err)
	}
	mark := func(ns []OwnerNotice, at Time) []OwnerNotice {
		t.Helper()
		var marked []OwnerNotice
		if err := s.Write(ctx, func(tx *Tx) (err error) { marked, err = tx.MarkOwnerNoticed(ns, at); return err }); err != nil {
			t.Fatal(err)
		}
		return marked
	}
	if marked := mark(pending, day1); len(marked) != 2 {
		t.Fatalf("marked %+v", marked)
	}
	if marked := mark(pending, day2); len(marked) != 0 {
		t.Fatalf("marked twice: %+v", marked)
	}
	if pending, _ := s.PendingOwnerNotices(ctx); len(pending) != 0 {
		t.Fatalf("still pending after marking: %+v", pending)
	}

	// The next plan: a unchanged, b changed (a new version starts over),
	// c new; with an incomplete listing nothing is removed.
	if err := s.SyncOwnerNotices(ctx, "share", []OwnerNotice{n("a", "1", "anna@x", day2), n("b", "2", "", day2), n("c", "1", "bo@x", day2)}, false); err != nil {
		t.Fatal(err)
	}
	got, err := s.OwnerNotices(ctx, "share")
	if err != nil {
		t.Fatal(err)
	}
	if a := got["a"]; a.NoticedAt == nil || !a.NoticedAt.Equal(day1.Time) || !a.FoundAt.Equal(day1.Time) {
		t.Errorf("a lost its notice: %+v", a)
	}
	if b := got["b"]; b.NoticedAt != nil || b.Version != "2" || !b.FoundAt.Equal(day2.Time) {
		t.Errorf("b, changed, keeps its old notice: %+v", b)
	}
	if c := got["c"]; c.NoticedAt != nil || c.Email != "bo@x" {
		t.Errorf("c: %+v", c)
	}
	// A notice marked for a version the item no longer has stays unsent.
	if marked := mark([]OwnerNotice{n("b", "1", "", day2)}, day2); len(marked) != 0 {
		t.Errorf("marked %+v", marked)
	}
	if got, _ := s.OwnerNotices(ctx, "share"); got["b"].NoticedAt != nil {
		t.Error("a notice about version 1 marked version 2 noticed")
	}

	// A complete listing removes what it no longer finds; other sources
	// are untouched.
	if err := s.SyncOwnerNotices(ctx, "other", []OwnerNotice{{Source: "other", Ref: "a", Version: "1", Rule: "r", Due: "2026-11-15", FoundAt: day2}}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncOwnerNotices(ctx, "share", []OwnerNotice{n("c", "1", "bo@x", day2)}, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OwnerNotices(ctx, "share"); len(got) != 1 || got["c"].Ref != "c" {
		t.Errorf("after a complete listing naming only c: %+v", got)
	}
	if got, _ := s.OwnerNotices(ctx, "other"); len(got) != 1 {
		t.Errorf("another source's notices were touched: %+v", got)
	}
	if err := s.SyncOwnerNotices(ctx, "share", []OwnerNotice{n("c", "1", "bo@x", day2), {Source: "other", Ref: "x"}}, true); err == nil {
		t.Error("a notice of another source was accepted")
	}
	if got, _ := s.OwnerNotices(ctx, "share"); len(got) != 1 {
		t.Errorf("a refused sync changed something: %+v", got)
	}
}
