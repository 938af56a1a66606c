package summary

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/store/ledger"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update if the change is intended):\n%s", path, got)
	}
}

func TestCSVGolden(t *testing.T) {
	entries, priv := schoolYear(t)
	var b bytes.Buffer
	if err := build(entries).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.csv.golden", b.Bytes())
	assertNoPrivate(t, "CSV", b.String(), priv)

	var e bytes.Buffer
	if err := New(cph).WriteCSV(&e); err != nil {
		t.Fatal(err)
	}
	golden(t, "empty.csv.golden", e.Bytes())
}

// TestCSVShape: one header row of Columns, rows as wide, failures split by
// code adding up, and the documentation of Columns naming every column.
func TestCSVShape(t *testing.T) {
	entries, _ := schoolYear(t)
	var b bytes.Buffer
	if err := build(entries).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range Columns {
		if recs[0][i] != c.Name {
			t.Fatalf("header %q, want %q at %d", recs[0][i], c.Name, i)
		}
		col[c.Name] = i
	}
	if len(recs) < 2 {
		t.Fatal("no rows")
	}
	var failed, anyFailed int64
	for _, rec := range recs[1:] {
		n := func(name string) int64 {
			v, err := strconv.ParseInt(rec[col[name]], 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return v
		}
		var byCode int64
		for _, c := range Columns {
			if strings.HasPrefix(c.Name, "failed_") {
				byCode += n(c.Name)
			}
		}
		if byCode != n("failed") {
			t.Errorf("%v: failed %d, by code %d", rec, n("failed"), byCode)
		}
		// Every decision counts under one method, or as unrecorded or
		// unlisted; the verified are those of os_user, oidc and link.
		byMethod := n("decisions_auth_unrecorded") + n("decisions_auth_unlisted")
		for _, m := range ledger.AuthMethods {
			byMethod += n("decisions_" + m)
		}
		if byMethod != n("decisions_taken") {
			t.Errorf("%v: decisions %d, by method %d", rec, n("decisions_taken"), byMethod)
		}
		if v := n("decisions_os_user") + n("decisions_oidc") + n("decisions_link"); v != n("decisions_verified") {
			t.Errorf("%v: verified %d, os_user+oidc+link %d", rec, n("decisions_verified"), v)
		}
		failed += n("failed_permission_denied") + n("failed_unavailable")
		anyFailed += n("failed")
	}
	if failed == 0 || failed != anyFailed {
		t.Errorf("failures by code %d of %d", failed, anyFailed)
	}
	src, err := os.ReadFile("csv.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Columns {
		name := c.Name
		if strings.HasPrefix(name, "failed_") && name != "failed_unlisted" {
			name = "failed_<code>"
		}
		if strings.HasPrefix(name, "items_withdrawn_") {
			name = "items_withdrawn_<code>"
		}
		if slices.Contains(ledger.AuthMethods, strings.TrimPrefix(name, "decisions_")) {
			name = "decisions_<method>"
		}
		if !strings.Contains(string(src), "//\t"+name+" ") {
			t.Errorf("the documentation of Columns does not name %s", name)
		}
	}
}
