package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// stdJSON is the encoding/json form of e that Marshal must reproduce.
func stdJSON(t testing.TB, e Entry) []byte {
	t.Helper()
	e.Time = e.Time.UTC()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestCanonicalRoundTrip(t *testing.T) {
	for _, e := range sample(t) {
		t.Run(string(e.Type), func(t *testing.T) {
			b, err := e.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if want := stdJSON(t, e); !bytes.Equal(b, want) {
				t.Fatalf("Marshal differs from encoding/json:\n got %s\nwant %s", b, want)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse(%s): %v", b, err)
			}
			if got.Time.Location() != time.UTC {
				t.Errorf("parsed time in %v, want UTC", got.Time.Location())
			}
			want := e
			want.Time = e.Time.UTC()
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip changed the entry:\n got %+v\nwant %+v", got, want)
			}
			again, err := got.Marshal()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-marshal: %v\n%s\n%s", err, again, b)
			}
		})
	}
}

func TestMarshalTime(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC), "2026-01-02T03:04:05.12Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 1, time.UTC), "2026-01-02T03:04:05.000000001Z"},
		{time.Date(2026, 1, 2, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-01-01T23:30:00Z"},
		{time.Date(2026, 7, 1, 12, 0, 0, 0, time.FixedZone("", -5*3600-30*60)), "2026-07-01T17:30:00Z"},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "0000-01-01T00:00:00Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "9999-12-31T23:59:59.999999999Z"},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), "0001-01-01T00:00:00.000000001Z"},
	} {
		b, err := Entry{Type: TypeAcknowledgement, Time: tt.t}.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		want := `{"type":"acknowledgement","time":"` + tt.want + `"}`
		if string(b) != want {
			t.Errorf("%v: got %s, want %s", tt.t, b, want)
		}
	}
}

func TestGolden(t *testing.T) {
	var got bytes.Buffer
	for _, e := range sample(t) {
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got.Write(b)
		got.WriteByte('\n')
	}
	path := filepath.Join("testdata", "entry.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("canonical encoding changed; entries already in ledgers would no longer verify:\n got:\n%s\nwant:\n%s", got.Bytes(), want)
	}
	// Every golden line parses, so ledgers written before stay verifiable
	// even if the sample entries above change.
	for i, line := range bytes.Split(bytes.TrimSuffix(want, []byte("\n")), []byte("\n")) {
		if _, err := Parse(line); err != nil {
			t.Errorf("golden line %d: %v", i+1, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	k := testRefKey(t)
	ref := k.Ref("item:fileshare:s", "a/b.pdf")
	good := `{"type":"approval","time":"2026-11-22T08:30:00.123Z","batch":7,"actor":"anna","role":"approver","stage":1}`
	policy := `{"type":"policy","time":"2026-11-22T08:30:00Z","text":"<a & b>"}`
	deletion := `{"type":"deletion","time":"2026-11-22T08:30:00Z","item":"` + ref + `","approvals":["anna"],"outcome":"deleted","verified":true}`
	for _, s := range []string{good, policy, deletion} {
		if _, err := Parse([]byte(s)); err != nil {
			t.Fatalf("the base case %s does not parse: %v", s, err)
		}
	}
	rep := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("%q not in %s", old, s)
		}
		return strings.Replace(s, old, new, 1)
	}
	// Each case decodes to an entry but is not its canonical encoding.
	nonCanonical := map[string]string{
		"reordered keys":        `{"time":"2026-11-22T08:30:00.123Z","type":"approval","batch":7,"actor":"anna","role":"approver","stage":1}`,
		"reordered members":     rep(good, `"batch":7,"actor":"anna"`, `"actor":"anna","batch":7`),
		"space after brace":     rep(good, `{"type"`, `{ "type"`),
		"space after colon":     rep(good, `"batch":7`, `"batch": 7`),
		"space after comma":     rep(good, `,"batch"`, `, "batch"`),
		"space before brace":    good[:len(good)-1] + " }",
		"newline inside":        rep(good, `,"batch"`, ",\n\"batch\""),
		"leading space":         " " + good,
		"escaped <":             rep(policy, `<a`, `\u003ca`),
		"escaped >":             rep(policy, `b>`, `b\u003e`),
		"escaped &":             rep(policy, `& b`, `\u0026 b`),
		"escaped ASCII letter":  rep(good, `"anna"`, `"\u0061nna"`),
		"escaped slash":         rep(policy, `<a & b>`, `<a \/ b>`),
		"escaped non-ASCII":     rep(policy, `<a & b>`, `\u00e6`),
		"raw line separator":    rep(policy, `<a & b>`, "\u2028"),
		"upper-case hex escape": rep(policy, `<a & b>`, `\u001F`),
		"long escape for \\n":   rep(policy, `<a & b>`, `\u000a`),
		"surrogate escape":      rep(policy, `<a & b>`, `\ud83d\uddd1`),
		"lone surrogate":        rep(policy, `<a & b>`, `\ud800`),
		"duplicate key":         rep(good, `,"batch":7`, `,"batch":7,"batch":7`),
		"duplicate key differs": rep(good, `,"batch":7`, `,"batch":8,"batch":7`),
		"upper-case key":        rep(good, `"type"`, `"Type"`),
		"zero int written":      rep(good, `,"batch":7`, `,"batch":7,"size":0`),
		"false written":         rep(good, `,"batch":7`, `,"batch":7,"verified":false`),
		"empty string written":  rep(good, `,"batch":7`, `,"source":"","batch":7`),
		"empty list written":    rep(good, `,"actor"`, `,"approvals":[],"actor"`),
		"null list written":     rep(good, `,"actor"`, `,"approvals":null,"actor"`),
		"null string written":   rep(good, `,"batch":7`, `,"source":null,"batch":7`),
		"local time":            rep(good, `08:30:00.123Z`, `09:30:00.123+01:00`),
		"zero offset":           rep(good, `08:30:00.123Z`, `08:30:00.123+00:00`),
		"untrimmed fraction":    rep(good, `00.123Z`, `00.1230Z`),
		"zero fraction":         rep(policy, `00Z`, `00.000Z`),
		"negative zero":         rep(good, `"batch":7`, `"batch":-0`),
		"space in list":         rep(deletion, `["anna"]`, `["anna" ]`),
		"zero stage written":    rep(deletion, `"verified":true`, `"verified":true,"stage":0`),
	}
	for name, in := range nonCanonical {
		_, err := Parse([]byte(in))
		if !errors.Is(err, ErrNotCanonical) {
			t.Errorf("%s: Parse(%s) = %v, want ErrNotCanonical", name, in, err)
		}
	}
	// Each case is refused for another reason.
	invalid := map[string]string{
		"unknown field first":  rep(good, `{"type"`, `{"x":1,"type"`),
		"unknown field last":   good[:len(good)-1] + `,"seq":3}`,
		"unknown field nested": rep(good, `,"batch":7`, `,"batch":7,"extra":{"a":1}`),
		"trailing object":      good + "{}",
		"trailing newline":     good + "\n",
		"trailing space":       good + " ",
		"trailing garbage":     good + "x",
		"trailing bracket":     good + "]",
		"truncated":            good[:len(good)-1],
		"empty input":          "",
		"not an object":        `["approval"]`,
		"null":                 `null`,
		"string":               `"approval"`,
		"unknown type":         rep(good, `"approval"`, `"rewrite"`),
		"empty type":           rep(good, `"approval"`, `""`),
		"no type":              `{"time":"2026-11-22T08:30:00Z"}`,
		"no time":              `{"type":"approval"}`,
		"null time":            `{"type":"approval","time":null}`,
		"bad time":             rep(good, `2026-11-22T08:30:00.123Z`, `2026-11-22 08:30:00Z`),
		"lower-case t":         rep(good, `2026-11-22T08`, `2026-11-22t08`),
		"leap second":          rep(good, `08:30:00.123Z`, `23:59:60Z`),
		"leading zero number":  rep(good, `"batch":7`, `"batch":07`),
		"number with fraction": rep(good, `"batch":7`, `"batch":7.0`),
		"number with exponent": rep(good, `"batch":7`, `"batch":7e0`),
		"number as string":     rep(good, `"batch":7`, `"batch":"7"`),
		"string as number":     rep(good, `"actor":"anna"`, `"actor":1`),
		"invalid UTF-8":        rep(policy, `<a & b>`, "\xff\xfe"),
		"invalid UTF-8 key":    rep(good, `"actor"`, "\"act\xffor\""),
		"path as item":         rep(deletion, ref, `Elever/Anna Hansen/karakterer.pdf`),
		"truncated reference":  rep(deletion, ref, ref[:len(ref)-1]),
		"error text as code":   rep(deletion, `"outcome":"deleted"`, `"outcome":"failed","code":"remove /srv/anna.pdf: permission denied"`),
		"upper-case outcome":   rep(deletion, `"deleted"`, `"Deleted"`),
		"year 10000":           rep(good, `2026-11-22`, `10000-11-22`),
	}
	for _, in := range []string{good + "\n", good + " ", good + "{}"} {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), "data after the entry") {
			t.Errorf("Parse(%q) = %v, want data after the entry", in, err)
		}
	}
	for name, in := range invalid {
		if e, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: Parse(%q) accepted %+v", name, in, e)
		}
	}
}

func TestMarshalRejects(t *testing.T) {
	k := testRefKey(t)
	ref := k.Ref("item:fileshare:s", "a/b.pdf")
	for name, e := range map[string]Entry{
		"no type":                {Time: t0},
		"unknown type":           {Type: "nope", Time: t0},
		"no time":                {Type: TypeBatch},
		"year 10000":             {Type: TypeBatch, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"year -1":                {Type: TypeBatch, Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		"year 10000 after UTC":   {Type: TypeBatch, Time: time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600))},
		"invalid UTF-8 reason":   {Type: TypeRejection, Time: t0, Reason: "bad \xff"},
		"invalid UTF-8 text":     {Type: TypePolicy, Time: t0, Text: "\xc3"},
		"invalid UTF-8 source":   {Type: TypeBatch, Time: t0, Source: "\x80"},
		"invalid UTF-8 key":      {Type: TypeKeyRotation, Time: t0, Key: "k\xfe"},
		"invalid UTF-8 approval": {Type: TypeDeletion, Time: t0, Item: ref, Approvals: []string{"anna", "b\xffo"}},
		"path as item":           {Type: TypeDeletion, Time: t0, Item: "/srv/share/Anna Hansen.pdf"},
		"name as subject":        {Type: TypeHoldAdded, Time: t0, Subject: "anna.hansen"},
		"path as container":      {Type: TypePrune, Time: t0, Container: "Elever/Anna Hansen"},
		"padded reference":       {Type: TypeDeletion, Time: t0, Item: ref + "="},
		"error text as code":     {Type: TypeDeletion, Time: t0, Item: ref, Outcome: "failed", Code: "open /srv/x.pdf: permission denied"},
		"free text outcome":      {Type: TypeDeletion, Time: t0, Item: ref, Outcome: "deleted by hand"},
		"upper-case method":      {Type: TypeDeletion, Time: t0, Item: ref, Method: "Delete"},
		"dotted role":            {Type: TypeApproval, Time: t0, Role: "it.approver"},
		"overlong code":          {Type: TypeDeletion, Time: t0, Item: ref, Code: strings.Repeat("x", maxToken+1)},
	} {
		if b, err := e.Marshal(); err == nil {
			t.Errorf("%s: Marshal succeeded: %s", name, b)
		}
	}
	// The boundary cases that must pass.
	for name, e := range map[string]Entry{
		"longest code":    {Type: TypeDeletion, Time: t0, Item: ref, Code: strings.Repeat("x", maxToken)},
		"year 0":          {Type: TypeBatch, Time: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		"valid U+FFFD":    {Type: TypePolicy, Time: t0, Text: "\ufffd"},
		"literal \\ufffd": {Type: TypePolicy, Time: t0, Text: `\ufffd`},
	} {
		b, err := e.Marshal()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := Parse(b); err != nil {
			t.Errorf("%s: Parse(%s): %v", name, b, err)
		}
	}
}

// TestEscapingMatchesEncodingJSON pins Marshal's string escaping to
// encoding/json's, with which earlier ledgers were written, for every ASCII
// character and the runes JSON treats specially.
func TestEscapingMatchesEncodingJSON(t *testing.T) {
	var all strings.Builder
	for c := 0; c < 0x80; c++ {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{all.String(), "\u2028\u2029\u2027\u202a", "\ufffd\ufeff", "æøå€🗑\U0010ffff", "<script>&amp;</script>", `\"\\`} {
		e := Entry{Type: TypePolicy, Time: t0, Text: s, Reason: s, Approvals: []string{s, ""}}
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if want := stdJSON(t, e); !bytes.Equal(b, want) {
			t.Errorf("%q:\n got %s\nwant %s", s, b, want)
		}
		back, err := Parse(b)
		if err != nil || back.Text != s {
			t.Errorf("%q: Parse: %v, text %q", s, err, back.Text)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, e := range sample(f) {
		b, err := e.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":7}`))
	f.Add([]byte(`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":7,"batch":7}`))
	f.Add([]byte(`{"type":"policy","time":"2026-11-22T08:30:00Z","text":"\u003c"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err != nil {
			return
		}
		again, err := e.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("Parse accepted %q, which does not re-marshal to itself (%q, %v)", b, again, err)
		}
		if e.Time.Location() != time.UTC {
			t.Fatalf("Parse returned a time in %v", e.Time.Location())
		}
	})
}

// FuzzMarshal checks that whatever Marshal accepts, Parse gives back
// unchanged, and that the bytes are what encoding/json writes.
func FuzzMarshal(f *testing.F) {
	f.Add("version: 1\n<&>", "anna", int64(7), int64(1764000000123), true)
	f.Add("\u2028\x00\x1f\"\\", "", int64(-1), int64(0), false)
	f.Fuzz(func(t *testing.T, text, actor string, n, nanos int64, verified bool) {
		e := Entry{Type: TypeDeletion, Time: time.Unix(0, nanos).In(time.FixedZone("", int(n%50000))), Text: text, Reason: actor,
			Actor: actor, Size: n, Stage: int(n), Verified: verified, Approvals: []string{actor, text}}
		b, err := e.Marshal()
		if err != nil {
			if utf8.ValidString(text) && utf8.ValidString(actor) && !e.Time.IsZero() {
				t.Fatalf("Marshal(%+v): %v", e, err)
			}
			return
		}
		if want := stdJSON(t, e); !bytes.Equal(b, want) {
			t.Fatalf("Marshal differs from encoding/json:\n got %s\nwant %s", b, want)
		}
		back, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse(%s): %v", b, err)
		}
		want := e
		want.Time = e.Time.UTC()
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", back, want)
		}
	})
}

func BenchmarkMarshal(b *testing.B) {
	e := sample(b)[3]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := sample(b)[3].Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
