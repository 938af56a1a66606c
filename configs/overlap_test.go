package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/cctv"
	"github.com/retentiond/retentiond/connectors/exports"
	"github.com/retentiond/retentiond/connectors/fileshare"
)

// TestSourceFoldersMayNotOverlap (#17, finding 7): a cctv source whose
// root lies in a file share's root (also through a symbolic link, also as
// a UNC path inside an smb:// root, also a backup) is refused with file,
// line and field, unless one of the two declares the other in overlaps.
func TestSourceFoldersMayNotOverlap(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "share", "Kameraer"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "share", "Kameraer"), filepath.Join(dir, "nvr-link")); err != nil {
		t.Fatal(err)
	}
	policy := abs(t, filepath.Join("testdata", "good-policy.yaml"))
	reg := connectors.NewRegistry(fileshare.Kind(), cctv.Kind(), exports.Kind())
	load := func(sources string) (*Config, []*FieldError) {
		t.Helper()
		file := filepath.Join(dir, "retentiond.yaml")
		text := fmt.Sprintf("version: 1\nledger: {origin: test.invalid/ledger}\npolicies: [%s]\npeople:\n  - {id: it, roles: [operator]}\n  - {id: anna, roles: [approver], groups: [leaders]}\nsources:\n%s", policy, sources)
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(file, reg)
		var le *LoadError
		if errors.As(err, &le) {
			return c, le.Errs
		}
		if err != nil {
			t.Fatal(err)
		}
		return c, nil
	}
	const share = "  - name: share\n    kind: fileshare\n    options: {root: share}\n"
	for _, c := range []struct {
		name, sources string
		field         string // "" for no problem
		line          int
		want          string
	}{
		{"inside", share + "  - name: nvr\n    kind: cctv\n    options: {root: share/CCTV}\n", "sources[1].options.root", 13,
			`"share/CCTV" lies inside "share", options.root of source "share" (line 10): two sources must not manage the same files; if they must, declare it with ` + "`overlaps: [share]`" + ` on source "nvr"`},
		{"same", share + "  - name: nvr\n    kind: cctv\n    options: {root: ./share/}\n", "sources[1].options.root", 13, `"./share/" is the same folder as "share"`},
		{"outside", "  - name: nvr\n    kind: cctv\n    options: {root: share/CCTV}\n" + share, "sources[0].options.root", 10, `"share/CCTV" lies inside "share", options.root of source "share" (line 13)`},
		{"backup", share + "  - name: nvr\n    kind: cctv\n    options: {root: nvr, backups: [share/Backup]}\n", "sources[1].options.backups[0]", 13, `"share/Backup" lies inside "share"`},
		{"symlink", share + "  - name: nvr\n    kind: cctv\n    options: {root: nvr-link}\n", "sources[1].options.root", 13, `"nvr-link" lies inside "share"`},
		{"smb and unc", "  - name: share\n    kind: fileshare\n    options: {root: \"smb://it@FS01/Skole/Elever\", password_env: X}\n" +
			"  - name: nvr\n    kind: cctv\n    options: {root: '\\\\fs01\\skole'}\n", "sources[0].options.root", 10, `"smb://it@FS01/Skole/Elever" lies inside "\\\\fs01\\skole"`},
		{"declared", share + "  - name: nvr\n    kind: cctv\n    overlaps: [share]\n    options: {root: share/CCTV}\n", "", 0, ""},
		{"declared by the other", "  - name: share\n    kind: fileshare\n    overlaps: [nvr]\n    options: {root: share}\n  - name: nvr\n    kind: cctv\n    options: {root: share/CCTV}\n", "", 0, ""},
		{"exports in the share", share + "  - name: elever\n    kind: export\n    options: {dir: share/Eksport, preset: tea-students}\n", "sources[1].options.dir", 13, `"share/Eksport" lies inside "share"`},
		{"apart", share + "  - name: nvr\n    kind: cctv\n    options: {root: nvr}\n  - name: shared\n    kind: fileshare\n    options: {root: share2}\n", "", 0, ""},
		{"unknown", share + "  - name: nvr\n    kind: cctv\n    overlaps: [nope]\n    options: {root: nvr}\n", "sources[1].overlaps[0]", 13, `"nope" is not a configured source`},
		{"itself", share + "  - name: nvr\n    kind: cctv\n    overlaps: [nvr]\n    options: {root: nvr}\n", "sources[1].overlaps[0]", 13, `"nvr" is this source itself`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, errs := load(c.sources)
			if c.field == "" {
				if len(errs) != 0 {
					t.Fatalf("refused: %v", errs)
				}
				if nvr, _ := cfg.Source("nvr"); c.name == "declared" && !slices.Equal(nvr.Overlaps, []string{"share"}) {
					t.Errorf("overlaps %v", nvr.Overlaps)
				}
				return
			}
			i := slices.IndexFunc(errs, func(fe *FieldError) bool { return fe.Field == c.field })
			if i < 0 || len(errs) != 1 {
				t.Fatalf("want one problem with %s, got %v", c.field, errs)
			}
			if fe := errs[i]; fe.Line < c.line || fe.Line > c.line+1 || !strings.Contains(fe.Msg, c.want) || !strings.HasSuffix(fe.File, "retentiond.yaml") {
				t.Errorf("got %s:%d %s: %s\nwant line %d and %s", fe.File, fe.Line, fe.Field, fe.Msg, c.line, c.want)
			}
		})
	}
}
