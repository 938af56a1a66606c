package classify

import (
	"strings"
	"testing"
)

func TestFindCPR(t *testing.T) {
	for _, tt := range []struct {
		text string
		form string // "" for no match
	}{
		{"Vedr. elev 010203-1234 og hendes fravær", "ddmmyy-xxxx"},
		{"CPR: 0102031234", "ddmmyyxxxx"},              // bare, named
		{"cpr-nr 010203 1234", "ddmmyy xxxx"},          // space form, named
		{"2902001234 er født", ""},                     // bare, not named before it, fails mod 11
		{"Født 290200-4234", "ddmmyy-xxxx"},            // 29 Feb 2000 (7th digit 4, yy 00 → 2000)
		{"290201-1234", ""},                            // 29 Feb 1901: no such day
		{"290200-1234", ""},                            // 29 Feb 1900: not a leap year
		{"310400-1234", ""},                            // 31 April
		{"001201-1234", ""},                            // day 00
		{"011301-1234", ""},                            // month 13
		{"Ring på 12 34 56 78 eller +45 87654321", ""}, // phone numbers
		{"Ordre 1201231234 er afsendt", ""},            // bare date-like order number, fails mod 11
		{"Faktura 9912010101234", ""},                  // part of a longer number
		{"DK5000400440116243", ""},                     // IBAN
		{"ref A010203-1234", ""},                       // letter touching it
		{"010203-12345", ""},                           // digit after it
		{"Personnummer 0707614285", "ddmmyyxxxx"},      // named
		{"0707614285", "ddmmyyxxxx"},                   // bare, passes mod 11
		{"", ""},
	} {
		form, ok := FindCPR(tt.text)
		if ok != (tt.form != "") || form != tt.form {
			t.Errorf("FindCPR(%q) = %q, %v; want %q", tt.text, form, ok, tt.form)
		}
	}
}

func TestClassify(t *testing.T) {
	c := New([]string{"Trivsel", "diagnose", "ordblind", "børnesamtale"}, []string{"Fortrolig"})
	got := c.Classify(Mail{
		Subject:    "Trivselssamtale med elev 010203-1234",
		Preview:    "Lægen nævner en diagnose; mor er bekymret. Ordblindhed er ikke nævnt.",
		Categories: []string{"fortrolig", "Rød kategori"},
	})
	var reasons []string
	for _, f := range got {
		reasons = append(reasons, f.String())
	}
	want := []string{
		`a CPR number (ddmmyy-xxxx) in the subject`,
		`the keyword "diagnose" in the preview`,
		`the Outlook category "fortrolig"`,
	}
	if strings.Join(reasons, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", reasons, want)
	}
	for _, r := range reasons {
		if strings.Contains(r, "1234") {
			t.Fatalf("a reason holds the number: %s", r)
		}
	}
	if f := New(nil, nil).Classify(Mail{Subject: "Frokost fredag"}); len(f) != 0 {
		t.Fatalf("findings in a harmless mail: %v", f)
	}
}

func FuzzFindCPR(f *testing.F) {
	for _, s := range []string{"010203-1234", "CPR 0102031234", "12 34 56 78", "æøå 290200-4234 ", "\xff010203-1234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		form, ok := FindCPR(s)
		if ok != (form != "") {
			t.Fatalf("FindCPR(%q) = %q, %v", s, form, ok)
		}
		if ok && !strings.ContainsAny(s, "0123456789") {
			t.Fatalf("found a CPR number in %q, which has no digit", s)
		}
	})
}
