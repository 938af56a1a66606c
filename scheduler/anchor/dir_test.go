package anchor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const testFile = "skole.example_ledger-000000000042.checkpoint"

// dirNames lists dir's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDirWritesTheNote(t *testing.T) {
	cp := testCheckpoint(t)
	dir := t.TempDir()
	d, err := NewDir(DirConfig{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "dir:"+dir {
		t.Errorf("Name() = %q", d.Name())
	}
	if err := d.Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != testFile {
		t.Fatalf("directory holds %v, want only %s", names, testFile)
	}
	got, err := os.ReadFile(filepath.Join(dir, testFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, cp.Note) {
		t.Fatalf("file holds %q, want the note %q", got, cp.Note)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(filepath.Join(dir, testFile))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("file mode %v, want 0644 so that the DPO can read it", st.Mode().Perm())
		}
	}
}

func TestDirSameCheckpointAgain(t *testing.T) {
	cp := testCheckpoint(t)
	dir := t.TempDir()
	d := Dir{Path: dir}
	for i := range 3 {
		if err := d.Send(context.Background(), cp); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	// Re-signed (another signature added), same history: the file
	// already anchors it and stays as it is.
	resigned := cp
	resigned.Note = signedNote(t, 42, "history one", 1)
	if err := d.Send(context.Background(), resigned); err != nil {
		t.Fatalf("the same history signed differently: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, testFile)); !bytes.Equal(got, cp.Note) {
		t.Fatalf("the anchored file changed to %q", got)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %v", names)
	}
}

func TestDirDifferentCheckpointOfTheSameSize(t *testing.T) {
	cp := testCheckpoint(t)
	dir := t.TempDir()
	d := Dir{Path: dir}
	if err := d.Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	rewritten := cp
	rewritten.Note = signedNote(t, 42, "history two", 0)
	err := d.Send(context.Background(), rewritten)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("a second history of the same size: %v", err)
	}
	oldHash := strings.Split(string(cp.Note), "\n")[2]
	newHash := strings.Split(string(rewritten.Note), "\n")[2]
	for _, want := range []string{filepath.Join(dir, testFile), oldHash, newHash, "two histories", "retentiond ledger verify --anchor"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, testFile)); !bytes.Equal(got, cp.Note) {
		t.Fatal("the anchored checkpoint was overwritten")
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %v", names)
	}
	// Another size of the rewritten history is not this target's to judge.
	later := rewritten
	later.N, later.Note = 43, signedNote(t, 43, "history two", 0)
	if err := d.Send(context.Background(), later); err != nil {
		t.Fatal(err)
	}
}

func TestDirExistingFileNotANote(t *testing.T) {
	cp := testCheckpoint(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, testFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Dir{Path: dir}.Send(context.Background(), cp)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "7 bytes that are not a checkpoint note") {
		t.Fatalf("got %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, testFile)); string(got) != "garbage" {
		t.Fatal("the existing file was replaced")
	}
}

func TestDirConcurrentSends(t *testing.T) {
	cp := testCheckpoint(t)
	dir := t.TempDir()
	d := Dir{Path: dir}
	notes := [][]byte{cp.Note}
	for _, h := range []string{"history two", "history three", "history four"} {
		notes = append(notes, signedNote(t, 42, h, 0))
	}
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cp
			c.Note = notes[i%len(notes)]
			errs[i] = d.Send(context.Background(), c)
		}()
	}
	wg.Wait()
	got, err := os.ReadFile(filepath.Join(dir, testFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		sameAsFile := bytes.Equal(notes[i%len(notes)], got)
		if sameAsFile && err != nil || !sameAsFile && !errors.Is(err, ErrConflict) {
			t.Errorf("send %d (its note is the file's: %v): %v", i, sameAsFile, err)
		}
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %v", names)
	}
}

func TestDirRefusesMissingDirectory(t *testing.T) {
	cp := testCheckpoint(t)
	missing := filepath.Join(t.TempDir(), "dpo-share")
	err := Dir{Path: missing}.Send(context.Background(), cp)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "does not exist") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the missing directory was created")
	}
	if _, err := NewDir(DirConfig{Path: missing}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("NewDir: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (Dir{Path: file}).Send(context.Background(), cp); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Fatalf("a file as the directory: %v", err)
	}
}

func TestDirCancelledOrInvalid(t *testing.T) {
	cp := testCheckpoint(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Dir{Path: dir}).Send(ctx, cp); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	empty := cp
	empty.Note = nil
	if err := (Dir{Path: dir}).Send(context.Background(), empty); err == nil {
		t.Fatal("an empty note was written")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("directory holds %v", names)
	}
}

func TestDirConfigValidate(t *testing.T) {
	abs, err := filepath.Abs("anchors")
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		c    DirConfig
		want string
	}{
		"absolute": {DirConfig{Path: abs}, ""},
		"missing":  {DirConfig{}, "path: missing"},
		"relative": {DirConfig{Path: "anchors"}, `path: "anchors" is relative`},
	} {
		t.Run(name, func(t *testing.T) {
			err := tt.c.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
