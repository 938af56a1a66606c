package googletest

import (
	"strings"
	"testing"
)

// FuzzGmailQuery: the fake's search parser never panics; what it
// accepts holds only before: and after: terms, and a term it reads as a
// time is read the same alone.
func FuzzGmailQuery(f *testing.F) {
	for _, s := range []string{"before:1700000000", "after:2020/03/02 before:2020-3-4", "before:12/31/2019", "subject:x", "before:", "before:2020/13/45", "after:-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := parseGmailQuery(q)
		if err != nil {
			return
		}
		for _, term := range strings.Fields(q) {
			if !strings.HasPrefix(term, "before:") && !strings.HasPrefix(term, "after:") {
				t.Fatalf("%q accepted with the term %q", q, term)
			}
		}
		if fs := strings.Fields(q); len(fs) == 1 {
			alone, err := parseGmailQuery(fs[0])
			if err != nil || alone != got {
				t.Errorf("%q: %+v, alone %+v, %v", q, got, alone, err)
			}
		}
	})
}
