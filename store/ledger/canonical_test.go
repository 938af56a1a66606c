package ledger

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestIsRefByTable compares isRefByTable with isRef on a reference with
// every byte value at every position, and on other lengths.
func TestIsRefByTable(t *testing.T) {
	ref := testRefKey(t).Ref("subject", "anna")
	if !isRefByTable(ref) {
		t.Fatalf("%q refused", ref)
	}
	for i := range len(ref) {
		for c := range 256 {
			s := ref[:i] + string([]byte{byte(c)}) + ref[i+1:]
			if got, want := isRefByTable(s), isRef(s); got != want {
				t.Fatalf("%q: isRefByTable %v, isRef %v", s, got, want)
			}
		}
	}
	for _, s := range []string{"", "h1:", ref[:len(ref)-1], ref + "A", strings.ToUpper(ref), "h2" + ref[2:]} {
		if got, want := isRefByTable(s), isRef(s); got != want {
			t.Errorf("%q: isRefByTable %v, isRef %v", s, got, want)
		}
	}
}

// canonicalSeeds are encodings near the canonical ones: valid entries and
// small departures from them in every part of the form parseCanonical
// checks.
func canonicalSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, e := range append(sample(t), deletionEntry(testRefKey(t), 7)) {
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for _, s := range []string{
		`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":7}`,
		`{"type":"approval","time":"2026-11-22T08:30:00.5Z","batch":-7}`,
		`{"type":"approval","time":"2026-11-22T08:30:00.50Z","batch":7}`,
		`{"type":"approval","time":"2026-11-22T08:30:00.Z","batch":7}`,
		`{"type":"approval","time":"2026-11-22T08:30:00.1234567891Z"}`,
		`{"type":"approval","time":"2026-02-29T08:30:00Z"}`,
		`{"type":"approval","time":"2024-02-29T08:30:00Z"}`,
		`{"type":"approval","time":"2026-11-22T24:00:00Z"}`,
		`{"type":"approval","time":"2026-11-22T08:30:60Z"}`,
		`{"type":"approval","time":"2026-11-22T08:30:00+01:00"}`,
		`{"type":"approval","time":"0001-01-01T00:00:00Z"}`,
		`{"type":"approval","time":"0001-01-01T00:00:00.000000001Z"}`,
		`{"type":"approval","time":"0000-02-29T00:00:00Z"}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":07}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":-0}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":0}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":+7}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":9223372036854775808}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":-9223372036854775808}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":7,"batch":7}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","actor":""}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","approvals":[]}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","approvals":["",""]}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","verified":false}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","role":"Approver"}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z","item":"h1:0123456789"}`,
		`{"type":"approval","time":"2026-11-22T08:30:00Z"} `,
		`{"type":"approval","time":"2026-11-22T08:30:00Z"`,
		`{"type":"Approval","time":"2026-11-22T08:30:00Z"}`,
		`{"type":"appro\u0076al","time":"2026-11-22T08:30:00Z"}`,
		`{"time":"2026-11-22T08:30:00Z","type":"approval"}`,
		`{"type":"policy","time":"2026-11-22T08:30:00Z","text":"\u003c\/\u0041\u001F\u001f\u000a\n\u2028\u2029\u202a"}`,
		`{"type":"policy","time":"2026-11-22T08:30:00Z","text":"\ud83d\uddd1 \u00e6"}`,
		"{\"type\":\"policy\",\"time\":\"2026-11-22T08:30:00Z\",\"text\":\"\u2028 \x7f \xff\"}",
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzParseCanonical checks that parseCanonical accepts exactly what the
// general path accepts, and decodes it to the same entry.
func FuzzParseCanonical(f *testing.F) {
	for _, s := range canonicalSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := parseCanonical(b)
		slow, err := parseGeneral(b)
		if ok != (err == nil) {
			t.Fatalf("%q: parseCanonical %v, general path %v", b, ok, err)
		}
		if ok && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q decodes differently:\n%+v\n%+v", b, fast, slow)
		}
		if ok && fast.Time.Location() != time.UTC {
			t.Fatalf("%q: time in %v", b, fast.Time.Location())
		}
	})
}

// FuzzIsRefByTable checks isRefByTable against isRef.
func FuzzIsRefByTable(f *testing.F) {
	f.Add(testRefKey(f).Ref("subject", "anna"))
	f.Add("h1:0123abcd:" + strings.Repeat("A", macLen))
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isRefByTable(s), isRef(s); got != want {
			t.Fatalf("%q: isRefByTable %v, isRef %v", s, got, want)
		}
	})
}
