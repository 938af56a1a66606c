package scheduler

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
)

// TestSubjectIndexPacksEveryFact stores people of two kinds from three
// sources, with every event, both flags known and unknown, problems,
// people missing from a later export, people two sources list (agreeing
// and disagreeing) and ids not in NFC, and checks that the packed index
// answers as the facts it packed say: every Lookup (also in alternation,
// past the cache of the last one), ByEmail, the keys of each kind, Len and
// the pending cases' holds, against policySubject and mergeSubjects
// applied to the stored rows.
func TestSubjectIndexPacksEveryFact(t *testing.T) {
	e := newSubjEnv(t)
	ctx := context.Background()
	yes, no := true, false
	flags := []*bool{nil, &yes, &no}
	dates := []string{"", "2019-08-01", "2026-06-20", "2010-02-28", "2024-02-29"}
	people := func(source, kind string, n, shift int) []store.Subject {
		var out []store.Subject
		for i := range n {
			k := i + shift
			s := store.Subject{Kind: kind, ID: fmt.Sprintf("%04d", i), Started: dates[k%5], Left: dates[(k+1)%5], Born: dates[(k+2)%5], CaseClosed: dates[(k+3)%5],
				PendingCase: flags[k%3], Manager: flags[(k/3)%3]}
			if i%7 == 0 {
				s.Problem = "listed twice with different facts (lines 2 and 3)"
			}
			if i%5 == 0 {
				s.Email = fmt.Sprintf("p%d@x.dk", i%10)
			}
			if i == 3 {
				s.ID = "Jose\u0301" // not in NFC
			}
			out = append(out, s)
		}
		return out
	}
	apply := func(source, kind string, ss []store.Subject, n int) {
		t.Helper()
		imp := store.SubjectImport{Source: source, Kind: kind, File: fmt.Sprintf("%s-%d.csv", source, n), Version: fmt.Sprint(n), Rows: int64(len(ss)), ImportedAt: store.Time{Time: now}}
		if err := e.p.Store.Write(ctx, func(tx *store.Tx) error { _, _, err := tx.ApplyImport(imp, ss); return err }); err != nil {
			t.Fatal(err)
		}
	}
	apply("elever", "student", people("elever", "student", 60, 0), 1)
	apply("elever", "student", people("elever", "student", 50, 0), 2) // ten missing
	apply("lectio", "student", people("lectio", "student", 30, 0), 1) // agreeing
	apply("hr", "staff", people("hr", "staff", 40, 1), 1)
	apply("hr2", "staff", people("hr2", "staff", 20, 2), 1) // disagreeing

	x, err := e.p.loadSubjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[int64]string{}
	imps, err := e.p.Store.Imports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range imps {
		imports[imp.ID] = imp.ImportedAt.Format("2006-01-02")
	}
	want := map[string]policies.Subject{}
	var order []string
	prev := map[string]string{}
	if err := e.p.Store.Subjects(ctx, func(s store.Subject) error {
		ps, err := policySubject(&s, imports)
		if err != nil {
			return err
		}
		if old, ok := want[s.Key()]; ok {
			ps = mergeSubjects(old, ps, prev[s.Key()], s.Source)
		} else {
			order = append(order, s.Key())
		}
		want[s.Key()], prev[s.Key()] = ps, s.Source
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if x.Len() != len(want) {
		t.Fatalf("Len %d, want %d", x.Len(), len(want))
	}
	// mergeSubjects names disagreements in the order it meets them in a
	// map: compare them as sets.
	problemSet := func(p string) string {
		parts := strings.Split(p, "; ")
		slices.Sort(parts)
		return strings.Join(parts, "; ")
	}
	same := func(a, b policies.Subject) bool {
		return maps.Equal(a.Events, b.Events) && maps.Equal(a.Flags, b.Flags) && problemSet(a.Problem) == problemSet(b.Problem)
	}
	problems, holds := 0, 0
	for round := range 2 {
		for i, key := range order {
			if round == 1 && i%2 == 1 {
				key = order[len(order)-1-i] // alternate ends: no two lookups of the same person in a row
			}
			kind, id, _ := strings.Cut(key, ":")
			got, ok := x.Lookup(kind, id)
			if !ok || !same(got, want[key]) {
				t.Fatalf("Lookup(%s) = %+v, %v; want %+v", key, got, ok, want[key])
			}
			if round == 0 {
				if want[key].Problem != "" {
					problems++
				}
				if want[key].Flags["pending_case"] && want[key].Problem == "" {
					holds++
				}
			}
		}
	}
	if problems == 0 || holds == 0 || len(x.Holds) != holds {
		t.Errorf("%d problems, %d holds (index: %d): the data must have both", problems, holds, len(x.Holds))
	}
	if _, ok := x.Lookup("student", "Jos\u00e9"); !ok {
		t.Error("an id in NFC does not find the one stored decomposed")
	}
	if _, ok := x.Lookup("student", "9999"); ok {
		t.Error("a person nobody listed is found")
	}
	for _, kind := range []string{"student", "staff"} {
		var wantKeys []string
		for _, k := range order {
			if strings.HasPrefix(k, kind+":") {
				wantKeys = append(wantKeys, k)
			}
		}
		if got := x.byKind[kind]; strings.Join(got, ",") != strings.Join(wantKeys, ",") {
			t.Errorf("keys of %s: %v, want %v", kind, got, wantKeys)
		}
	}
	// p0@x.dk is listed for students 0, 10, 20, … and for staff: ambiguous;
	// every address here is shared, so each links nobody.
	if k, ok := x.ByEmail("P0@x.dk"); !ok || k != "" {
		t.Errorf("a shared address links %q, %v", k, ok)
	}
	if _, ok := x.ByEmail("nobody@x.dk"); ok {
		t.Error("an unknown address is found")
	}
}
