package exports

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
)

func openDir(t testing.TB, o Options) (*Conn, connectortest.DirFixture) {
	t.Helper()
	dir := t.TempDir()
	c, err := Open(t.Context(), dir, &o, connectors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return c, connectortest.DirFixture{Dir: dir}
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			return openDir(t, Options{Dir: ".", Preset: "tea-students", KeepLatest: 2})
		},
		Pruner:     true,
		Archiver:   true,
		Owners:     true, // the export folder's files, as on a file share
		Concurrent: true,
	})
}

var t0 = time.Date(2026, 8, 1, 6, 0, 0, 0, time.UTC)

func TestListLabelsSupersededExports(t *testing.T) {
	c, f := openDir(t, Options{Dir: ".", Preset: "tea-students", Files: "elever_*.csv", KeepLatest: 2})
	defer c.Close()
	for i, name := range []string{"2026/elever_1.csv", "elever_2.csv", "2025/elever_3.csv", "elever_4.csv"} {
		f.Put(t, name, []byte(teaHeader), t0.Add(time.Duration(i)*24*time.Hour))
	}
	f.Put(t, "notes.txt", []byte("not an export"), t0.Add(time.Hour))
	got := map[string][]string{}
	if err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		got[it.Ref] = it.Labels
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"2026/elever_1.csv": {LabelExport, LabelSuperseded},
		"elever_2.csv":      {LabelExport, LabelSuperseded},
		"2025/elever_3.csv": {LabelExport},
		"elever_4.csv":      {LabelExport},
	}
	if len(got) != len(want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	for ref, labels := range want {
		if !slices.Equal(got[ref], labels) {
			t.Errorf("%s: labels %v, want %v", ref, got[ref], labels)
		}
	}
	// A prefix narrows what is listed, not what counts as newest.
	var under []string
	if err := c.List(t.Context(), connectors.ListOptions{Prefix: "2026"}, func(it connectors.Item) error {
		under = append(under, it.Ref+" "+strings.Join(it.Labels, ","))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"2026/elever_1.csv export,superseded-export"}; !slices.Equal(under, want) {
		t.Errorf("prefix 2026 listed %v, want %v", under, want)
	}
}

func TestReadSubjectsReadsTheNewestExport(t *testing.T) {
	c, f := openDir(t, Options{Dir: ".", Preset: "tea-students"})
	defer c.Close()
	if _, err := c.ReadSubjects(t.Context(), func(connectors.SubjectRow) error { return nil }); !errors.Is(err, ErrNoExport) {
		t.Fatalf("empty folder: %v, want ErrNoExport", err)
	}
	if _, err := c.LatestExport(t.Context()); !errors.Is(err, ErrNoExport) {
		t.Fatalf("empty folder: LatestExport: %v, want ErrNoExport", err)
	}
	f.Put(t, "old.csv", []byte(teaHeader+"1;A;B;1.a;01-08-2020;;01-01-2014\r\n2;A;B;1.a;01-08-2020;;01-01-2014\r\n"), t0)
	f.Put(t, "new.csv", []byte(teaHeader+"1;A;B;1.a;01-08-2020;31-07-2026;01-01-2014\r\n"), t0.Add(time.Hour))
	var ids []string
	info, err := c.ReadSubjects(t.Context(), func(r connectors.SubjectRow) error {
		ids = append(ids, r.ID+" "+r.Left.Format(time.DateOnly))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.Ref != "new.csv" || info.Rows != 1 || info.Kind != "student" || info.Version == "" {
		t.Errorf("info = %+v", info)
	}
	if want := []string{"1 2026-07-31"}; !slices.Equal(ids, want) {
		t.Errorf("rows %v, want %v", ids, want)
	}
	if latest, err := c.LatestExport(t.Context()); err != nil || latest.Ref != info.Ref || latest.Version != info.Version || latest.Rows != 0 {
		t.Errorf("LatestExport = %+v, %v; ReadSubjects read %+v", latest, err, info)
	}

	// The newest export is broken: an error, not the older export.
	f.Put(t, "newest.csv", []byte(teaHeader+"1;A;B;1.a;01-08"), t0.Add(2*time.Hour))
	if _, err := c.ReadSubjects(t.Context(), func(connectors.SubjectRow) error { return nil }); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "newest.csv") {
		t.Errorf("truncated newest export: %v", err)
	}
}
