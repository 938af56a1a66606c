package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCCTVSourceAtSchoolShare (#17, finding 7): a cctv source whose root
// is the school share is refused while it overlaps the share's source;
// declared, check and plan report the share's documents as files that are
// not recordings (escaped) and execute deletes none of them.
func TestCCTVSourceAtSchoolShare(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	if err := os.WriteFile(filepath.Join(dir, "share", "0 evil\x1b[2J.docx"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(old), "      root: nvr\n", "      root: share\n", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "check", "--config", cfg)
	if err == nil || !strings.Contains(out+err.Error(), `retentiond.yaml:31: sources[1].options.root: "share" is the same folder as "share", options.root of source "skoledrev" (line 26)`) {
		t.Fatalf("check with overlapping roots (%v):\n%s", err, out)
	}

	text = strings.Replace(text, "    kind: cctv\n", "    kind: cctv\n    overlaps: [skoledrev]\n", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	files := countFiles(t, filepath.Join(dir, "share"))
	out = mustRun(t, "check", "--config", cfg)
	for _, want := range []string{"source nvr: cctv:" + filepath.Join(dir, "share") + ": ok: 89 recordings", fmtInt(files) + " files are not recordings: they were left out and are never deleted by this source", `0 evil\x1b[2J.docx  (not a recording: .docx is not an extension of recordings)`} {
		if !strings.Contains(out, want) {
			t.Fatalf("check lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Fatalf("check printed an escape sequence raw:\n%q", out)
	}
	out = mustRun(t, "plan", "--source", "nvr", "--config", cfg)
	if !strings.Contains(out, "WARNING: "+fmtInt(files)+" files are not recordings") || strings.Contains(out, "\x1b") {
		t.Fatalf("plan:\n%s", out)
	}
	mustRun(t, "execute", "--config", cfg, "--as", "it")
	if n := countFiles(t, filepath.Join(dir, "share")); n != files {
		t.Fatalf("the share had %d files, now %d", files, n)
	}
}

func fmtInt(n int) string { return strconv.Itoa(n) }
