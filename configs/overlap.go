package configs

import (
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/retentiond/retentiond/connectors"
)

// sourceRoot is one folder a source manages, in a form comparable with
// the folders of other sources.
type sourceRoot struct {
	src   int    // index in the configuration's sources
	name  string // the source's name
	field string // "sources[2].options.root"
	path  string // as configured
	key   string // comparable form: "file:/srv/share", "smb://server/share/path"
}

// checkOverlaps refuses two sources whose folders are the same folder or
// one inside the other: files under both would be listed, and perhaps
// deleted, by rules meant for either (documents on a school share dated
// as CCTV "recordings"). An overlap is allowed when either source declares
// the other in `overlaps:`. Folders are compared as far as their forms
// allow: local paths (relative ones resolved against the configuration's
// folder, symbolic links followed where they exist) with local paths, and
// smb:// URLs and UNC paths (\\server\share\path) with each other, without
// regard to case in server, share and path as SMB does; a local mount of a
// share cannot be compared with its smb:// URL.
func (c *Config) checkOverlaps(d *doc, srcs []sourceYAML) {
	names := map[string]bool{}
	for _, s := range srcs {
		names[s.Name] = true
	}
	var roots []sourceRoot
	seen := map[string]bool{}
	for i, s := range srcs {
		for j, o := range s.Overlaps {
			field := fmt.Sprintf("sources[%d].overlaps[%d]", i, j)
			switch {
			case o == s.Name:
				d.errorf(field, "%q is this source itself: list the other sources whose folders may overlap this one's", o)
			case !names[o]:
				d.errorf(field, "%q is not a configured source", o)
			}
		}
		if seen[s.Name] {
			continue // a second source of that name is an error already
		}
		seen[s.Name] = true
		src, ok := c.Source(s.Name)
		if !ok {
			continue
		}
		r, ok := src.Options.(connectors.Rooted)
		if !ok {
			continue
		}
		for _, rt := range r.Roots() {
			if key := c.rootKey(rt.Path); key != "" {
				roots = append(roots, sourceRoot{src: i, name: s.Name, field: fmt.Sprintf("sources[%d].options.%s", i, rt.Field), path: rt.Path, key: key})
			}
		}
	}
	for a := range roots {
		for b := a + 1; b < len(roots); b++ {
			ra, rb := roots[a], roots[b]
			if ra.src == rb.src || slices.Contains(srcs[ra.src].Overlaps, rb.name) || slices.Contains(srcs[rb.src].Overlaps, ra.name) {
				continue
			}
			inner, outer, how := rb, ra, "lies inside"
			switch {
			case ra.key == rb.key:
				how = "is the same folder as"
			case within(rb.key, ra.key):
			case within(ra.key, rb.key):
				inner, outer = ra, rb
			default:
				continue
			}
			d.errorf(inner.field, "%q %s %q, options.%s of source %q (line %d): two sources must not manage the same files; if they must, declare it with `overlaps: [%s]` on source %q",
				inner.path, how, outer.path, strings.TrimPrefix(outer.field, fmt.Sprintf("sources[%d].options.", outer.src)), outer.name, d.line(outer.field), outer.name, inner.name)
		}
	}
}

// within reports whether key lies inside folder key outer.
func within(key, outer string) bool {
	return strings.HasPrefix(key, strings.TrimSuffix(outer, "/")+"/")
}

// rootKey is the comparable form of a configured folder, or "" when it
// cannot be compared (not parsable: its own validation reports that).
func (c *Config) rootKey(p string) string {
	if strings.TrimSpace(p) == "" {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(p), "smb://") {
		u, err := url.Parse(p)
		if err != nil || u.Hostname() == "" {
			return ""
		}
		return smbKey(u.Hostname(), strings.Trim(u.Path, "/"))
	}
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") && runtime.GOOS == "windows" {
		rest := strings.TrimLeft(strings.ReplaceAll(p, `\`, "/"), "/")
		host, path, _ := strings.Cut(rest, "/")
		if host == "" {
			return ""
		}
		return smbKey(host, strings.Trim(path, "/"))
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.Dir, p)
	}
	p = filepath.Clean(p)
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	key := filepath.ToSlash(p)
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		// Case-insensitive file systems by default.
		key = strings.ToLower(key)
	}
	return "file:" + key
}

// smbKey is the comparable form of a folder on an SMB share: server, share
// and path compared without regard to case, empty and "." parts dropped.
func smbKey(host, path string) string {
	var parts []string
	for _, seg := range strings.Split(path, "/") {
		if seg != "" && seg != "." {
			parts = append(parts, strings.ToLower(seg))
		}
	}
	return "smb://" + strings.ToLower(host) + "/" + strings.Join(parts, "/")
}
