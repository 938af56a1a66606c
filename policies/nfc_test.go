package policies

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Issue 17, finding 8: a name typed with a precomposed letter (NFC, as
// Windows and Linux clients write) and the same name with a decomposed one
// (NFD, as macOS clients write: "a" + U+030A for "å") are the same name for
// patterns and holds, in both directions.

var (
	nfcName = norm.NFC.String("Fratrådte")
	nfdName = norm.NFD.String("Fratrådte")
)

func TestNFCFixturesDiffer(t *testing.T) {
	if nfcName == nfdName || len(nfdName) != len(nfcName)+1 {
		t.Fatalf("fixtures are not two spellings: %q %q", nfcName, nfdName)
	}
}

func TestPatternMatchesUnderNFC(t *testing.T) {
	nfc, nfd := norm.NFC.String, norm.NFD.String
	for _, tc := range []struct {
		name       string
		pattern    string
		ignoreCase bool
		path       string
		match      bool
		captures   []string // in NFC
	}{
		{name: "NFC pattern, NFD path", pattern: nfc("**/Fratrådte/{employee}/**"), path: nfd("Personale/Fratrådte/4711/kontrakt.pdf"), match: true, captures: []string{"4711"}},
		{name: "NFD pattern, NFC path", pattern: nfd("**/Fratrådte/{employee}/**"), path: nfc("Personale/Fratrådte/4711/kontrakt.pdf"), match: true, captures: []string{"4711"}},
		{name: "NFC both", pattern: nfc("**/Fratrådte/{employee}/**"), path: nfc("Personale/Fratrådte/4711/kontrakt.pdf"), match: true, captures: []string{"4711"}},
		{name: "NFD both", pattern: nfd("**/Fratrådte/{employee}/**"), path: nfd("Personale/Fratrådte/4711/kontrakt.pdf"), match: true, captures: []string{"4711"}},
		{name: "ignore case, NFC pattern, NFD upper-case path", pattern: nfc("**/Fratrådte/{employee}/**"), ignoreCase: true, path: nfd("PERSONALE/FRATRÅDTE/4711/x.pdf"), match: true, captures: []string{"4711"}},
		{name: "ignore case, NFD pattern, NFC path", pattern: nfd("**/fratrådte/{employee}/**"), ignoreCase: true, path: nfc("Personale/Fratrådte/4711/x.pdf"), match: true, captures: []string{"4711"}},
		{name: "capture of a decomposed name comes back in NFC", pattern: "Udmeldte elever/{student}/**", path: nfd("Udmeldte elever/Søren Ærø Åberg/a.pdf"), match: true, captures: []string{nfc("Søren Ærø Åberg")}},
		{name: "capture before a space, NFD path", pattern: nfc("Elever/{student} */Forældre/**"), path: nfd("Elever/1003 Åse Bøg/Forældre/kontakt.pdf"), match: true, captures: []string{"1003"}},
		{name: "literal prefix in NFC, path in NFD", pattern: nfc("Årsplaner/*.docx"), path: nfd("Årsplaner/2026.docx"), match: true},
		{name: "literal prefix in NFD, path in NFC", pattern: nfd("Årsplaner/*.docx"), path: nfc("Årsplaner/2026.docx"), match: true},
		{name: "? is one character, also when decomposed", pattern: nfc("a/?.txt"), path: nfd("a/å.txt"), match: true},
		{name: "a different letter still does not match", pattern: nfc("**/Fratrådte/**"), path: nfd("Personale/Fratradte/x.pdf"), match: false},
		{name: "a different letter, NFD pattern", pattern: nfd("**/Fratrådte/**"), path: "Personale/Fratradte/x.pdf", match: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := CompilePattern(tc.pattern, tc.ignoreCase)
			if err != nil {
				t.Fatal(err)
			}
			caps, ok := p.Match(tc.path)
			if ok != tc.match || ok && !slices.Equal(caps, tc.captures) {
				t.Fatalf("Match(%q) = %q, %v; want %q, %v", tc.path, caps, ok, tc.captures, tc.match)
			}
			if p.Matches(tc.path) != tc.match {
				t.Fatalf("Matches(%q) = %v", tc.path, !tc.match)
			}
		})
	}
}

// PruneStop and BaseOf return folders of the path in its own bytes: they
// name real folders on the share.
func TestPatternFoldersKeepTheirBytes(t *testing.T) {
	path := norm.NFD.String("Skole/Fratrådte/Åse/2020/x.pdf")
	for _, pat := range []string{norm.NFC.String("**/Fratrådte/{employee}/**"), norm.NFD.String("**/Fratrådte/{employee}/**")} {
		p, err := CompilePattern(pat, true)
		if err != nil {
			t.Fatal(err)
		}
		stop, ok := p.PruneStop(path)
		if want := norm.NFD.String("Skole/Fratrådte"); !ok || stop != want {
			t.Errorf("%+q: PruneStop = %+q, %v; want %+q", pat, stop, ok, want)
		}
	}
	p, err := CompilePattern(norm.NFC.String("Fratrådte/Ældre/{employee}/**"), false)
	if err != nil {
		t.Fatal(err)
	}
	path = norm.NFD.String("Fratrådte/Ældre/Åse/x.pdf")
	if got, want := p.BaseOf(path), norm.NFD.String("Fratrådte/Ældre"); got != want {
		t.Errorf("BaseOf = %+q, want %+q", got, want)
	}
	if p.String() != norm.NFC.String("Fratrådte/Ældre/{employee}/**") {
		t.Errorf("String() = %+q: the pattern's own text changed", p.String())
	}
}

func TestHoldMatchesUnderNFC(t *testing.T) {
	nfc, nfd := norm.NFC.String, norm.NFD.String
	hold := func(path string) *Hold {
		p, err := CompilePattern(path, true) // holds ignore case (scheduler)
		if err != nil {
			t.Fatal(err)
		}
		return &Hold{ID: "H-1", Path: p}
	}
	for _, tc := range []struct {
		name     string
		hold     *Hold
		path     string
		ref      string
		subjects []string
		match    bool
	}{
		{name: "path hold in NFC, folder in NFD", hold: hold(nfc("Fratrådte/**")), path: nfd("Fratrådte/Åse/x.pdf"), match: true},
		{name: "path hold in NFD, folder in NFC", hold: hold(nfd("Fratrådte/**")), path: nfc("Fratrådte/Åse/x.pdf"), match: true},
		{name: "path hold deeper, NFC against NFD", hold: hold(nfc("Personale/Fratrådte/Åse Bøg/**")), path: nfd("Personale/Fratrådte/Åse Bøg/2020/x.pdf"), match: true},
		{name: "path hold, other folder", hold: hold(nfc("Fratrådte/**")), path: "Fratradte/x.pdf", match: false},
		{name: "subject hold in NFC, capture in NFD", hold: &Hold{Subject: nfc("student:Åse")}, path: "x", subjects: []string{nfd("student:Åse")}, match: true},
		{name: "subject hold in NFD, capture in NFC", hold: &Hold{Subject: nfd("student:Åse")}, path: "x", subjects: []string{nfc("student:Åse")}, match: true},
		// Refs are the connector's exact bytes: only the same bytes match.
		{name: "ref hold, same bytes", hold: &Hold{Ref: nfd("Fratrådte/x.pdf")}, path: "x", ref: nfd("Fratrådte/x.pdf"), match: true},
		{name: "ref hold, other bytes", hold: &Hold{Ref: nfc("Fratrådte/x.pdf")}, path: "x", ref: nfd("Fratrådte/x.pdf"), match: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := &Item{Source: "share", Kind: "file", Path: tc.path, Ref: tc.ref}
			if got := tc.hold.Matches(it, tc.subjects); got != tc.match {
				t.Fatalf("Matches = %v, want %v", got, tc.match)
			}
		})
	}
}

// The whole decision: a due file in an NFD folder is held by a hold typed
// in NFC (the reproduction of finding 8), and the rule selects it too.
func TestEvaluateHoldAndRuleUnderNFC(t *testing.T) {
	for _, form := range []struct {
		name          string
		pattern, path norm.Form
	}{{"NFC rule and hold, NFD path", norm.NFC, norm.NFD}, {"NFD rule and hold, NFC path", norm.NFD, norm.NFC}} {
		t.Run(form.name, func(t *testing.T) {
			rulePat, err := CompilePattern(form.pattern.String("**/Fratrådte/**"), true)
			if err != nil {
				t.Fatal(err)
			}
			holdPat, err := CompilePattern(form.pattern.String("Personale/Fratrådte/**"), true)
			if err != nil {
				t.Fatal(err)
			}
			r := &Rule{ID: "R", Kind: DeleteAfter, Path: rulePat, From: Anchor{Item: Modified}, Keep: Period{Days: 1}, ArchiveTo: form.pattern.String("Personale/Fratrådte/Arkiv")}
			set, err := NewSet(time.UTC, &Policy{ID: "p", Rules: []*Rule{r}})
			if err != nil {
				t.Fatal(err)
			}
			it := &Item{Source: "share", Kind: "file", Path: form.path.String("Personale/Fratrådte/Åse/x.pdf"), Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
			env := &Env{Today: NewDate(2026, 1, 1)}
			if d := set.Evaluate(it, env); d.Verdict != Due {
				t.Fatalf("without a hold: %v: %s", d.Verdict, d.Reason())
			}
			env.Holds = []*Hold{{ID: "H-1", Path: holdPat}}
			if d := set.Evaluate(it, env); d.Verdict != Held {
				t.Fatalf("with the hold: %v: %s", d.Verdict, d.Reason())
			}
			arch := &Item{Source: "share", Kind: "file", Path: form.path.String("Personale/Fratrådte/Arkiv/x.pdf"), Modified: it.Modified}
			if d := set.Evaluate(arch, &Env{Today: NewDate(2026, 1, 1)}); d.Verdict != Keep || d.InArchive == "" {
				t.Fatalf("in the archive: %v: %s", d.Verdict, d.Reason())
			}
		})
	}
}
