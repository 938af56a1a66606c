package cctv

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/fileshare"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func openTest(t testing.TB, backups int, exts ...string) (*Conn, []connectortest.DirFixture) {
	t.Helper()
	o := &Options{Root: t.TempDir(), Extensions: exts}
	fs := []connectortest.DirFixture{{Dir: o.Root}}
	for range backups {
		d := t.TempDir()
		o.Backups = append(o.Backups, d)
		fs = append(fs, connectortest.DirFixture{Dir: d})
	}
	c, err := Open(t.Context(), connectors.Env{Now: func() time.Time { return now }}, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, fs
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			// An empty backup beside the recordings; the suite's samples
			// are .txt files, so here they are recordings.
			c, fs := openTest(t, 1, "txt")
			return c, fs[0]
		},
		Pruner: true,
	})
}

func TestBackupsAreRecordingsDueWithTheOriginal(t *testing.T) {
	c, fs := openTest(t, 2)
	defer c.Close()
	const rec = "Kamera-1/2026-11-03/cam01_20261103_141500.mp4"
	copied := now.Add(-time.Hour) // the backup job ran just now
	fs[0].Put(t, rec, []byte("video"), time.Date(2026, 11, 3, 15, 15, 0, 0, time.UTC))
	fs[1].Put(t, rec, []byte("video"), copied)
	fs[2].Put(t, "Kamera-2/clip.mp4", []byte("v"), copied)
	fs[0].Put(t, "@backup-1/stray.mp4", []byte("not a backup"), copied)

	got := map[string]connectors.Item{}
	if err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		got[it.Ref] = it
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	orig, back := got[rec], got["@backup-1/"+rec]
	if len(got) != 3 || orig.Kind != connectors.KindRecording || back.Kind != connectors.KindRecording {
		t.Fatalf("listed %v", got)
	}
	if !orig.Recorded.Equal(back.Recorded) || orig.Recorded.IsZero() || back.RecordedFrom != "from the file name" {
		t.Errorf("original recorded %v, backup %v (%s)", orig.Recorded, back.Recorded, back.RecordedFrom)
	}
	if back.Container != "@backup-1/Kamera-1/2026-11-03" {
		t.Errorf("backup container %q", back.Container)
	}
	if m := got["@backup-2/Kamera-2/clip.mp4"]; !m.Recorded.Equal(copied) || m.RecordedFrom != fromMtime {
		t.Errorf("name without a time: %v (%s)", m.Recorded, m.RecordedFrom)
	}
	var under []string
	c.List(t.Context(), connectors.ListOptions{Prefix: "@backup-1/Kamera-1"}, func(it connectors.Item) error {
		under = append(under, it.Ref)
		return nil
	})
	if !slices.Equal(under, []string{"@backup-1/" + rec}) {
		t.Errorf("prefix in a backup listed %v", under)
	}

	if st, err := c.Stat(t.Context(), "@backup-1/"+rec); err != nil || st.Version != back.Version || !st.Recorded.Equal(back.Recorded) {
		t.Errorf("Stat of the backup: %+v, %v", st, err)
	}
	for _, bad := range []string{"@backup-3/x.mp4", "@backup-0/x.mp4", "@backup-01/x.mp4", "@backup-1"} {
		if _, err := c.Stat(t.Context(), bad); connectors.CodeOf(err) != connectors.CodeInvalid {
			t.Errorf("Stat(%q): %v, want invalid", bad, err)
		}
	}

	targets := []connectors.Target{{Ref: rec, Version: orig.Version}, {Ref: "@backup-1/" + rec, Version: back.Version}, {Ref: "@backup-9/x", Version: "v"}}
	rs, err := c.DeleteBatch(t.Context(), targets)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Outcome != connectors.OutcomeDeleted || rs[1].Outcome != connectors.OutcomeDeleted || rs[2].Outcome != connectors.OutcomeFailed || rs[1].Ref != targets[1].Ref {
		t.Fatalf("results %+v", rs)
	}
	if fs[0].Exists(t, rec) || fs[1].Exists(t, rec) {
		t.Error("a copy survived")
	}
	pruned, err := c.PruneEmpty(t.Context(), []string{"Kamera-1/2026-11-03", "@backup-1/Kamera-1/2026-11-03"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Kamera-1/2026-11-03", "Kamera-1", "@backup-1/Kamera-1/2026-11-03", "@backup-1/Kamera-1"}; !slices.Equal(pruned, want) {
		t.Errorf("pruned %v, want %v", pruned, want)
	}
	if _, err := os.Stat(filepath.Join(fs[1].Dir)); err != nil {
		t.Error("the backup root was removed")
	}
}

func TestOpenRefusesMissingBackup(t *testing.T) {
	_, err := Open(t.Context(), connectors.Env{}, &Options{Root: t.TempDir(), Backups: []string{filepath.Join(t.TempDir(), "gone")}})
	if connectors.CodeOf(err) != connectors.CodeNotFound {
		t.Fatalf("missing backup: %v", err)
	}
	if err := (&Options{Root: "x", Timezone: "Mars/Olympus"}).Validate(); err == nil {
		t.Error("an unknown time zone was accepted")
	}
}

// TestOnlyVideoFilesAreRecordings (#17, finding 7): a cctv source pointed
// at a school share lists its documents and photos as nothing: they are
// reported through ListOptions.Ignored, Stat refuses them and DeleteBatch
// never deletes them; which extensions are recordings is configurable.
func TestOnlyVideoFilesAreRecordings(t *testing.T) {
	c, fs := openTest(t, 1)
	defer c.Close()
	const rec = "Kamera-1/2026-11-03/cam01_20261103_141500.MP4"
	old := now.AddDate(0, -3, 0)
	for _, ref := range []string{rec, "Elever/Karakterer.docx", "Fotos/klasse.JPG", "Kamera-1/index", "Kamera-1/2026-11-03/cam01_20261103_150000.dav"} {
		fs[0].Put(t, ref, []byte("x"), old)
	}
	fs[1].Put(t, "Referat.docx", []byte("x"), old)

	var listed []string
	ignored := map[string]string{}
	err := c.List(t.Context(), connectors.ListOptions{Ignored: func(ref, why string) { ignored[ref] = why }}, func(it connectors.Item) error {
		listed = append(listed, it.Ref)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	if want := []string{"Kamera-1/2026-11-03/cam01_20261103_141500.MP4", "Kamera-1/2026-11-03/cam01_20261103_150000.dav"}; !slices.Equal(listed, want) {
		t.Errorf("listed %v, want %v", listed, want)
	}
	if len(ignored) != 4 || ignored["@backup-1/Referat.docx"] == "" || !strings.Contains(ignored["Elever/Karakterer.docx"], ".docx is not an extension of recordings") ||
		!strings.Contains(ignored["Kamera-1/index"], "no extension") || ignored["Fotos/klasse.JPG"] == "" {
		t.Errorf("ignored %v", ignored)
	}

	if _, err := c.Stat(t.Context(), "Elever/Karakterer.docx"); connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Errorf("Stat of a document: %v, want invalid", err)
	}
	st, err := c.Stat(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	// Even a plan that names the document (with its real version) does not
	// delete it.
	doc, err := fileshareVersion(t, fs[0].Dir, "Elever/Karakterer.docx")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: "Elever/Karakterer.docx", Version: doc}, {Ref: rec, Version: st.Version}, {Ref: "@backup-1/Referat.docx", Version: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Outcome != connectors.OutcomeFailed || connectors.CodeOf(rs[0].Err) != connectors.CodeInvalid || rs[1].Outcome != connectors.OutcomeDeleted || rs[2].Outcome != connectors.OutcomeFailed {
		t.Errorf("results %+v", rs)
	}
	if !fs[0].Exists(t, "Elever/Karakterer.docx") || !fs[1].Exists(t, "Referat.docx") {
		t.Error("a document was deleted")
	}

	// Configured: only .dav files are recordings here.
	dav, fs2 := openTest(t, 0, ".DAV")
	defer dav.Close()
	fs2[0].Put(t, "a.mp4", []byte("x"), old)
	fs2[0].Put(t, "b.dav", []byte("x"), old)
	listed = nil
	dav.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		listed = append(listed, it.Ref)
		return nil
	})
	if !slices.Equal(listed, []string{"b.dav"}) {
		t.Errorf("extensions [.DAV] listed %v", listed)
	}
	for _, bad := range [][]string{{"*"}, {""}, {"mp4", "*.avi"}, {"a/b"}} {
		if err := (&Options{Root: "x", Extensions: bad}).Validate(); err == nil {
			t.Errorf("extensions %q accepted", bad)
		}
	}
}

// fileshareVersion is the version the file-share connector gives ref.
func fileshareVersion(t *testing.T, dir, ref string) (string, error) {
	fc, err := fileshare.Kind().Open(t.Context(), connectors.Env{}, &fileshare.Options{Root: dir})
	if err != nil {
		return "", err
	}
	defer fc.Close()
	it, err := fc.Stat(t.Context(), ref)
	return it.Version, err
}
