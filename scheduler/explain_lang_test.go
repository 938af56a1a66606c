package scheduler

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
)

// shippedPipeline is a Pipeline whose configuration holds the shipped
// policies (configs/policies), all ExplainIn reads.
func shippedPipeline(t *testing.T) *Pipeline {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "configs", "policies", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("shipped policies: %v %v", files, err)
	}
	var pols []*policies.Policy
	for _, f := range files {
		pol, err := configs.LoadPolicyFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pols = append(pols, pol)
	}
	set, err := policies.NewSet(time.UTC, pols...)
	if err != nil {
		t.Fatal(err)
	}
	return &Pipeline{Config: &configs.Config{Policies: set}}
}

// TestExplainIn: a batch item's reason in Danish and Swedish from its
// rule and dates (subject left, birthday, item dates, end of the
// calendar year, periods in words), English as Explain; an item with a
// stored note, and an unknown language, as Explain.
func TestExplainIn(t *testing.T) {
	p := shippedPipeline(t)
	s2 := store.PlanItem{Verdict: "due", Rule: "S2", Subject: "student:1003", Anchor: "2025-06-19", Due: "2026-06-20"}
	s7 := store.PlanItem{Verdict: "due", Rule: "S7", Subject: "student:1004", Anchor: "2019-06-30", Due: "2025-01-01"}
	s11 := store.PlanItem{Verdict: "keep", Rule: "S11", Subject: "student:1009", Anchor: "2027-03-02", Due: "2027-03-02"}
	s9 := store.PlanItem{Verdict: "due", Rule: "S9", Anchor: "2026-01-31", Due: "2026-07-31"}
	notYet := store.PlanItem{Verdict: "keep", Rule: "S2", Subject: "student:1010"}
	gone := store.PlanItem{Verdict: "due", Rule: "X9", Due: "2026-01-01"}
	for _, c := range []struct {
		lang string
		it   store.PlanItem
		want string
	}{
		{"da", s2, "skal slettes siden 2026-06-20 efter sletteregel S2 (SkoleIntra, students unenrolled in TEA): udmeldt 2025-06-19, opbevares 1 år"},
		{"sv", s2, "ska gallras sedan 2026-06-20 enligt gallringsregel S2 (SkoleIntra, students unenrolled in TEA): slutat 2025-06-19, bevaras 1 år"},
		{"da", s7, "udmeldt 2019-06-30, regnet fra udgangen af kalenderåret, opbevares 5 år"},
		{"sv", s7, "slutat 2019-06-30, räknat från slutet av kalenderåret, bevaras 5 år"},
		{"da", s11, "bevares til 2027-03-02 efter sletteregel S11"},
		{"da", s11, ": fyldte 18 år 2027-03-02, opbevares 0 dage"},
		{"sv", s11, ": fyllde 18 år 2027-03-02, bevaras 0 dagar"},
		{"da", s9, ": ændret 2026-01-31, opbevares 6 måneder"},
		{"sv", s9, ": ändrad 2026-01-31, bevaras 6 månader"},
		{"da", notYet, "bevares efter sletteregel S2 (SkoleIntra, students unenrolled in TEA): student:1010 er ikke udmeldt"},
		{"sv", notYet, ": student:1010 har inte slutat"},
		{"da", store.PlanItem{Verdict: "due", Rule: "P3", Subject: "staff:4711", Anchor: "2019-06-30", Due: "2025-01-01"}, ": fratrådt 2019-06-30, regnet fra udgangen af kalenderåret, opbevares 5 år"},
		{"da", gone, "skal slettes efter sletteregel X9 (findes ikke længere i politikkerne)"},
	} {
		if got := p.ExplainIn(c.lang, c.it); !strings.Contains(got, c.want) {
			t.Errorf("%s %s:\n%s\nwant it to contain\n%s", c.lang, c.it.Rule, got, c.want)
		}
	}
	for _, it := range []store.PlanItem{s2, s7, s11, s9, notYet, gone,
		{Verdict: "due", Rule: "S2", Due: "2026-06-20", Note: "S2: delete 1 year after student \"1003\" leaving on 2025-06-19; due since 2026-06-20"}} {
		if got, want := p.ExplainIn("en", it), p.Explain(it); got != want {
			t.Errorf("en %s: %q, Explain %q", it.Rule, got, want)
		}
		for _, lang := range []string{"", "de"} {
			if got, want := p.ExplainIn(lang, it), p.Explain(it); got != want {
				t.Errorf("%q %s: %q, Explain %q", lang, it.Rule, got, want)
			}
		}
		if it.Note != "" {
			for _, lang := range []string{"da", "sv"} {
				if got := p.ExplainIn(lang, it); got != it.Note {
					t.Errorf("%s: a stored note became %q", lang, got)
				}
			}
		}
	}
	// Every rule shipped, every verdict: no format left unfilled, no
	// English word where a Danish or Swedish one belongs.
	for _, r := range p.Config.Policies.Rules {
		for _, v := range []string{"due", "keep"} {
			it := store.PlanItem{Verdict: v, Rule: r.ID, Subject: "student:1", Anchor: "2020-01-01", Due: "2030-01-01"}
			for _, lang := range []string{"da", "sv"} {
				got := p.ExplainIn(lang, it)
				if strings.Contains(got, "%!") || strings.Contains(got, " under rule ") || strings.Contains(got, " kept ") ||
					strings.Contains(got, "counted from") || strings.Contains(got, "subject ") {
					t.Errorf("%s %s %s: %s", lang, r.ID, v, got)
				}
			}
		}
	}
	for _, lang := range []string{"sv"} {
		for k := range reasonWords["da"] {
			if _, ok := reasonWords[lang][k]; !ok {
				t.Errorf("%s: %q missing", lang, k)
			}
		}
		if len(reasonWords[lang]) != len(reasonWords["da"]) {
			t.Errorf("%s has %d words, da %d", lang, len(reasonWords[lang]), len(reasonWords["da"]))
		}
	}
}
