package policies

import (
	"slices"
	"strings"
	"testing"
)

func TestPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern    string
		ignoreCase bool
		path       string
		match      bool
		captures   []string
	}{
		{pattern: "**", path: "a", match: true},
		{pattern: "**", path: "a/b/c.txt", match: true},
		{pattern: "**", path: "", match: false},
		{pattern: "Udmeldte elever/{student}/**", path: "Udmeldte elever/Anna Jensen/karakterer.pdf", match: true, captures: []string{"Anna Jensen"}},
		{pattern: "Udmeldte elever/{student}/**", path: "Udmeldte elever/Anna Jensen/2024/a/b.pdf", match: true, captures: []string{"Anna Jensen"}},
		{pattern: "Udmeldte elever/{student}/**", path: "Udmeldte elever/readme.txt", match: false},
		{pattern: "Udmeldte elever/{student}/**", path: "Elever/Anna/x.pdf", match: false},
		{pattern: "Udmeldte elever/{student}/**", path: "udmeldte elever/Anna/x.pdf", match: false},
		{pattern: "Udmeldte elever/{student}/**", ignoreCase: true, path: "udmeldte ELEVER/Anna/x.pdf", match: true, captures: []string{"Anna"}},
		{pattern: "Personalesager/{staff}*/**", path: "Personalesager/1234 Jens Hansen/kontrakt.pdf", match: true, captures: []string{"1234 Jens Hansen"}},
		{pattern: "Personalesager/{staff} */**", path: "Personalesager/1234 Jens Hansen/kontrakt.pdf", match: true, captures: []string{"1234"}},
		{pattern: "Personalesager/{staff}_*.pdf", path: "Personalesager/1234_kontrakt_2020.pdf", match: true, captures: []string{"1234"}},
		{pattern: "Udmeldte elever/{student}/**", path: "Udmeldte elever/1003 Frida Bak/a/b.docx", match: true, captures: []string{"1003 Frida Bak"}},
		{pattern: "CCTV/**/*.mp4", path: "CCTV/cam01/2026-11-03/cam01_20261103_141500.mp4", match: true},
		{pattern: "CCTV/**/*.mp4", path: "CCTV/x.mp4", match: true},
		{pattern: "CCTV/**/*.mp4", path: "CCTV/x.mp4.txt", match: false},
		{pattern: "CCTV/**/*.mp4", path: "Andet/CCTV/x.mp4", match: false},
		{pattern: "**/Kladder/*", path: "Lærere/Mette/Kladder/status-okt.docx", match: true},
		{pattern: "**/Kladder/*", path: "Kladder/status.docx", match: true},
		{pattern: "**/Kladder/*", path: "Kladder/sub/status.docx", match: false},
		{pattern: "a/?.txt", path: "a/b.txt", match: true},
		{pattern: "a/?.txt", path: "a/bb.txt", match: false},
		{pattern: "a/?.txt", path: "a//.txt", match: false},
		{pattern: `a/\*.txt`, path: "a/*.txt", match: true},
		{pattern: `a/\*.txt`, path: "a/b.txt", match: false},
		{pattern: "a.b/c", path: "aXb/c", match: false}, // . is literal
		{pattern: "{cam}/{day}/*", path: "cam01/2026-11-03/rec.mp4", match: true, captures: []string{"cam01", "2026-11-03"}},
		{pattern: "Æbler/Øst/Å*", path: "Æbler/Øst/Åen.txt", match: true},
	} {
		p, err := CompilePattern(tc.pattern, tc.ignoreCase)
		if err != nil {
			t.Errorf("CompilePattern(%q): %v", tc.pattern, err)
			continue
		}
		caps, ok := p.Match(tc.path)
		if ok != tc.match || (ok && !slices.Equal(caps, tc.captures)) {
			t.Errorf("%q.Match(%q) = %q, %v; want %q, %v", tc.pattern, tc.path, caps, ok, tc.captures, tc.match)
		}
		if p.Matches(tc.path) != tc.match {
			t.Errorf("%q.Matches(%q) = %v", tc.pattern, tc.path, !tc.match)
		}
	}
}

func TestPatternBase(t *testing.T) {
	for _, tc := range []struct{ pattern, base, path, baseOf string }{
		{"Udmeldte elever/{student}/**", "Udmeldte elever", "Udmeldte elever/Anna/x.pdf", "Udmeldte elever"},
		{"Admin/Udmeldte elever/{student}/**", "Admin/Udmeldte elever", "Admin/Udmeldte elever/Anna/x", "Admin/Udmeldte elever"},
		{"CCTV/**/*.mp4", "CCTV", "CCTV/cam/x.mp4", "CCTV"},
		{"**", "", "a/b", ""},
		{"*.pdf", "", "a.pdf", ""},
		{"Kladder/*", "Kladder", "Kladder/x", "Kladder"},
		{"Kla*/x", "", "Klader/x", ""},
	} {
		p, err := CompilePattern(tc.pattern, true)
		if err != nil {
			t.Fatal(err)
		}
		if p.Base() != tc.base {
			t.Errorf("%q.Base() = %q, want %q", tc.pattern, p.Base(), tc.base)
		}
		if got := p.BaseOf(tc.path); got != tc.baseOf {
			t.Errorf("%q.BaseOf(%q) = %q, want %q", tc.pattern, tc.path, got, tc.baseOf)
		}
	}
	p, _ := CompilePattern("udmeldte elever/{s}/**", true)
	if got := p.BaseOf("UDMELDTE ELEVER/Anna/x"); got != "UDMELDTE ELEVER" {
		t.Errorf("BaseOf keeps the path's own spelling: got %q", got)
	}
}

func TestPatternErrors(t *testing.T) {
	for _, bad := range []string{"", "/abs", "a/", "a//b", "a/**b", "a/b**", "{x", "x}", "{X}", "{}", "{a}/{a}", "a/../b", "./a", `a\`} {
		if _, err := CompilePattern(bad, false); err == nil {
			t.Errorf("CompilePattern(%q) accepted a bad pattern", bad)
		}
	}
}

func FuzzPattern(f *testing.F) {
	for _, s := range []string{"**", "a/{b}/**", "CCTV/**/*.mp4", `a/\*`, "{a}{b}", "a/?/c", "**/x"} {
		f.Add(s, "a/b/c")
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		p, err := CompilePattern(pattern, false)
		if err != nil {
			return
		}
		caps, ok := p.Match(path)
		if ok != p.Matches(path) {
			t.Fatalf("Match and Matches disagree on %q / %q", pattern, path)
		}
		if ok && len(caps) != len(p.Names()) {
			t.Fatalf("%d captures for %d names", len(caps), len(p.Names()))
		}
		if ok && p.Base() != "" && !strings.HasPrefix(path, p.Base()+"/") {
			t.Fatalf("%q matched %q outside its base %q", pattern, path, p.Base())
		}
		for _, c := range caps {
			if c == "" || strings.Contains(c, "/") {
				t.Fatalf("capture %q is empty or spans segments", c)
			}
		}
	})
}

func TestPruneStop(t *testing.T) {
	tests := []struct {
		pattern, path, want string
		ok                  bool
	}{
		{"**/Udmeldte elever/{student}/**", "Admin/Udmeldte elever/Anna/2024", "Admin/Udmeldte elever", true},
		{"**/Udmeldte elever/{student}/**", "Admin/Udmeldte elever/Anna", "Admin/Udmeldte elever", true},
		{"**/Udmeldte elever/{student}/**", "Udmeldte elever/Anna", "Udmeldte elever", true},
		{"**/udmeldte elever/{student}/**", "X/UDMELDTE ELEVER/Bo/a/b", "X/UDMELDTE ELEVER", true},
		{"**/CCTV/**", "CCTV/cam1/2026-01-01", "CCTV", true},
		{"**/CCTV/**", "Backup/CCTV/cam1/CCTV/day", "Backup/CCTV/cam1/CCTV", true},
		{"Personale/Fratrådte/{employee}/**", "Personale/Fratrådte/Eva", "Personale/Fratrådte", true},
		{"**", "a/b", "", false},
		{"*.mp4", "a", "", false},
		{"**/Kladder/**", "Elsewhere/x", "", false},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.pattern, strings.HasPrefix(tt.pattern, "**/udmeldte"))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.PruneStop(tt.path)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q.PruneStop(%q) = %q, %v; want %q, %v", tt.pattern, tt.path, got, ok, tt.want, tt.ok)
		}
	}
}
