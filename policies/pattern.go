package policies

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// nfc returns s in Unicode normalisation form C. Patterns and the paths
// they are matched against are both compared in NFC, so that "Fratrådte"
// typed with a precomposed å matches a folder a macOS client wrote with a
// decomposed one (a + U+030A). It returns s itself, without allocating,
// when s is already NFC (every ASCII path is).
func nfc(s string) string { return norm.NFC.String(s) }

// Pattern is a compiled path pattern with named captures. Paths are
// '/'-separated and relative to the source's root (or, for mail, the
// mailbox). The syntax:
//
//   - any run of characters within one path segment
//     ?        any single character within one path segment
//     **       as a whole segment: zero or more segments
//     {name}   capture one or more characters within a segment as name
//     \c       the character c literally
//
// A capture takes as few characters as the rest of the segment allows, so
// "{staff} *" captures "4711" of "4711 Karen Skov"; directly before a *, it
// takes as many, so "{staff}*" captures the whole name.
//
// So "Udmeldte elever/{student}/**" matches every file inside a student's
// folder and captures the folder name as "student"; "CCTV/**/*.mp4" matches
// recordings at any depth below CCTV.
type Pattern struct {
	src    string
	re     *regexp.Regexp // nil when the pattern matches every path
	prefix string         // every matching path starts with this
	base   string         // the deepest literal folder: "Udmeldte elever"
	names  []string       // capture names in order
	stop   *regexp.Regexp // matches paths up to the last literal folder; nil if none
}

// CompilePattern compiles a path pattern. ignoreCase makes letters match
// regardless of case, as Windows file shares do. Pattern and path are
// compared under Unicode normalisation (NFC on both sides): the spelling of
// an accented letter, precomposed or decomposed, never decides a match.
// Captured values are returned in NFC; the item's ref keeps its own bytes.
func CompilePattern(src string, ignoreCase bool) (*Pattern, error) {
	orig := src
	src = nfc(src)
	if src == "" {
		return nil, fmt.Errorf("empty pattern")
	}
	if strings.HasPrefix(src, "/") || strings.HasSuffix(src, "/") || strings.Contains(src, "//") {
		return nil, fmt.Errorf("pattern %q: paths are relative, '/'-separated, without empty segments", src)
	}
	p := &Pattern{src: orig}
	if src == "**" {
		return p, nil
	}
	var re strings.Builder
	if ignoreCase {
		re.WriteString("(?i)")
	}
	re.WriteString("^")
	segs := strings.Split(src, "/")
	literal := true // still inside the literal prefix
	var lit strings.Builder
	seen := map[string]bool{}
	segRe := make([]string, len(segs)) // each segment's regexp, without the '/' after it
	lastLit := -1                      // the last segment (not the final one) that is plain text
	for i, seg := range segs {
		last := i == len(segs)-1
		start := re.Len()
		if !last && seg != "**" && !strings.ContainsAny(seg, "*?{\\") {
			lastLit = i
		}
		if seg == "**" {
			literal = false
			if last {
				re.WriteString(".+")
			} else {
				re.WriteString("(?:[^/]+/)*")
			}
			segRe[i] = re.String()[start:]
			continue
		}
		if seg == "." || seg == ".." {
			return nil, fmt.Errorf("pattern %q: %q segments are not allowed", src, seg)
		}
		for j := 0; j < len(seg); j++ {
			c := seg[j]
			switch c {
			case '*':
				if j+1 < len(seg) && seg[j+1] == '*' {
					return nil, fmt.Errorf("pattern %q: ** must be a whole path segment", src)
				}
				literal = false
				re.WriteString("[^/]*")
			case '?':
				literal = false
				re.WriteString("[^/]")
			case '{':
				end := strings.IndexByte(seg[j:], '}')
				if end < 0 {
					return nil, fmt.Errorf("pattern %q: unclosed { in capture", src)
				}
				name := seg[j+1 : j+end]
				if !isIdent(name) {
					return nil, fmt.Errorf("pattern %q: capture name %q must be lower-case letters, digits and _", src, name)
				}
				if seen[name] {
					return nil, fmt.Errorf("pattern %q: capture {%s} appears twice", src, name)
				}
				seen[name] = true
				p.names = append(p.names, name)
				literal = false
				if j+end+1 < len(seg) && seg[j+end+1] == '*' {
					re.WriteString("([^/]+)") // "{staff}*": the whole rest of the name
				} else {
					re.WriteString("([^/]+?)") // "{staff} *": "4711" of "4711 Karen Skov"
				}
				j += end
			case '}':
				return nil, fmt.Errorf("pattern %q: } without {", src)
			case '\\':
				if j+1 == len(seg) {
					return nil, fmt.Errorf("pattern %q: trailing \\", src)
				}
				j++
				c = seg[j]
				fallthrough
			default:
				// Copy the whole UTF-8 sequence: quoting a lone byte of
				// "Æ" would make the regexp match U+FFFD instead.
				_, size := utf8.DecodeRuneInString(seg[j:])
				chunk := seg[j : j+size]
				if literal {
					lit.WriteString(chunk)
				}
				re.WriteString(regexp.QuoteMeta(chunk))
				j += size - 1
			}
		}
		segRe[i] = re.String()[start:]
		if !last {
			if literal {
				lit.WriteByte('/')
			}
			re.WriteString("/")
		}
	}
	if lastLit >= 0 {
		var sr strings.Builder
		if ignoreCase {
			sr.WriteString("(?i)")
		}
		sr.WriteString("^(")
		for i := 0; i <= lastLit; i++ {
			sr.WriteString(segRe[i])
			if segs[i] != "**" && i < lastLit {
				sr.WriteString("/")
			}
		}
		sr.WriteString(")(?:/|$)")
		stop, err := regexp.Compile(sr.String())
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", src, err)
		}
		p.stop = stop
	}
	re.WriteString("$")
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", src, err)
	}
	p.re = compiled
	if !ignoreCase {
		p.prefix = lit.String()
	}
	if i := strings.LastIndexByte(lit.String(), '/'); i > 0 {
		p.base = lit.String()[:i]
	}
	return p, nil
}

// MustCompilePattern is CompilePattern for patterns known to be valid; it
// panics otherwise.
func MustCompilePattern(src string) *Pattern {
	p, err := CompilePattern(src, false)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern's source text.
func (p *Pattern) String() string { return p.src }

// Names returns the capture names in the order they appear.
func (p *Pattern) Names() []string { return p.names }

// Base returns the deepest folder every match lies below: "Udmeldte elever"
// for "Udmeldte elever/{student}/**", "" for "**" or "*.pdf". A rule that
// prunes emptied folders never removes Base or anything above it.
func (p *Pattern) Base() string { return p.base }

// BaseOf returns the part of path, a path that matches p, that corresponds
// to Base: its first segments, in the path's own spelling (which may differ
// in case from the pattern's when the pattern ignores case).
func (p *Pattern) BaseOf(path string) string {
	if p.base == "" {
		return ""
	}
	return firstSegments(path, strings.Count(p.base, "/")+1)
}

// PruneStop returns the folder of path (a folder holding an item that
// matches p) at or below which a rule may remove emptied folders: the
// folder that matched the pattern's last plain-text folder name, e.g. the
// "Udmeldte elever" folder for "**/Udmeldte elever/{student}/**", so that a
// student's folder may go but "Udmeldte elever" never does. Where the
// pattern could match that name at several depths, the deepest is taken.
// ok is false when the pattern has no plain-text folder name, in which case
// nothing may be pruned.
func (p *Pattern) PruneStop(path string) (stop string, ok bool) {
	if p.stop == nil {
		return "", false
	}
	n := nfc(path)
	m := p.stop.FindStringSubmatchIndex(n)
	if m == nil {
		return "", false
	}
	if n == path {
		return path[m[2]:m[3]], true
	}
	// The match ends at a segment boundary, and normalisation never moves
	// a '/': the same number of segments of the path's own spelling.
	return firstSegments(path, strings.Count(n[:m[3]], "/")+1), true
}

// firstSegments returns the first n '/'-separated segments of path.
func firstSegments(path string, n int) string {
	i := 0
	for range n {
		j := strings.IndexByte(path[i:], '/')
		if j < 0 {
			return path
		}
		i += j + 1
	}
	return path[:i-1]
}

// Matches reports whether path matches p (compared in NFC).
func (p *Pattern) Matches(path string) bool {
	if p.re == nil {
		return path != ""
	}
	path = nfc(path)
	if !strings.HasPrefix(path, p.prefix) {
		return false
	}
	return p.re.MatchString(path)
}

// Match reports whether path matches p and returns the captured values in
// the order of Names, in NFC.
func (p *Pattern) Match(path string) ([]string, bool) {
	if len(p.names) == 0 {
		return nil, p.Matches(path)
	}
	path = nfc(path)
	if !strings.HasPrefix(path, p.prefix) {
		return nil, false
	}
	m := p.re.FindStringSubmatch(path)
	if m == nil {
		return nil, false
	}
	return m[1:], true
}

// Capture returns the value captured as name when path matches p.
func (p *Pattern) Capture(path, name string) (string, bool) {
	vals, ok := p.Match(path)
	if !ok {
		return "", false
	}
	for i, n := range p.names {
		if n == name {
			return vals[i], true
		}
	}
	return "", false
}
