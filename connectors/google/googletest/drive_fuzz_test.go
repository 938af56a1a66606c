package googletest

import (
	"strings"
	"testing"
)

// FuzzParseDriveQuery: the fake's q parser never panics, and what it
// accepts names only the fields it knows.
func FuzzParseDriveQuery(f *testing.F) {
	for _, q := range []string{
		"'1abc' in parents", "'a' in parents or 'b' in parents", "'me' in owners and trashed = false",
		"not (mimeType = 'application/vnd.google-apps.folder') and name != 'x\\'y'", "fullText contains 'x'",
		"((", "'x' in", "trashed = maybe", "name = ", "",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		dq, err := parseDriveQuery(q)
		if err != nil {
			return
		}
		var check func(*driveQuery)
		check = func(d *driveQuery) {
			if d == nil {
				return
			}
			switch d.op {
			case "", "and", "or", "not":
			case "term":
				switch d.field {
				case "parents", "owners", "trashed", "mimeType", "name":
				default:
					t.Fatalf("%q: accepted field %q", q, d.field)
				}
			default:
				t.Fatalf("%q: op %q", q, d.op)
			}
			check(d.left)
			check(d.right)
		}
		check(dq)
		if strings.TrimSpace(q) == "" && dq.op != "" {
			t.Fatalf("empty q parsed as %+v", dq)
		}
	})
}

// FuzzParseFields: the fake's partial-response parser never panics, and
// applying what it accepts to a file keeps only fields of the file.
func FuzzParseFields(f *testing.F) {
	for _, s := range []string{"id", "files(id,name),nextPageToken", "files/owners(emailAddress)", "*", "a(b(c)),d", "(", "a,,b", "a)"} {
		f.Add(s)
	}
	file := map[string]any{"id": "1", "name": "x", "owners": []any{map[string]any{"emailAddress": "a@b.c", "kind": "drive#user"}}}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := parseFields(s)
		if err != nil {
			return
		}
		out, ok := sel.apply(file).(map[string]any)
		if !ok {
			t.Fatalf("%q: apply gave %T", s, sel.apply(file))
		}
		for k := range out {
			if _, known := file[k]; !known {
				t.Fatalf("%q: field %q appeared", s, k)
			}
		}
	})
}
