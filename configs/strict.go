package configs

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// FieldError is one problem in a configuration or policy file.
type FieldError struct {
	File  string
	Line  int    // 1-based; 0 when the file as a whole is at fault
	Field string // "rules[2].keep"; empty for syntax errors
	Msg   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadError collects every problem found in a load, grouped by file (the
// file loaded first, then the others in the order their problems were
// found, which for a configuration is the order it lists its policy files)
// and in line order within each file.
type LoadError struct {
	Errs []*FieldError
}

func (e *LoadError) Error() string {
	var lines []string
	for _, fe := range e.Errs {
		lines = append(lines, fe.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual FieldErrors.
func (e *LoadError) Unwrap() []error {
	errs := make([]error, len(e.Errs))
	for i, fe := range e.Errs {
		errs[i] = fe
	}
	return errs
}

// doc is one parsed YAML file: it decodes strictly into plain structs and
// remembers where each field was, so that later validation can report
// problems by field path and still name the line.
type doc struct {
	file  string
	root  *yaml.Node
	lines map[string]int // field path → line
	errs  []*FieldError

	// Alias accounting: every value decoded through an alias counts
	// against maxAliasValues, so that a few lines of nested aliases
	// cannot expand to millions of values.
	aliasDepth  int         // aliases being expanded around the current value
	aliasLine   int         // line of the outermost of them
	aliasPath   string      // and the field it stands for
	aliasValues int         // values decoded through aliases so far
	aliasBomb   *FieldError // once the budget is spent: decode nothing more
}

// maxAliasValues is how many values a file's aliases may expand to in all.
// Sharing an approval list or a rule body between a few rules costs tens;
// exceeding it takes aliases of aliases, as in a "billion laughs" file.
const maxAliasValues = 10000

// parseDoc parses a file holding one YAML document. Syntax errors are
// reported with the line they are on; a second document is an error.
func parseDoc(file string, data []byte) (*doc, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		return nil, &LoadError{Errs: []*FieldError{{File: file, Msg: "the file is empty"}}}
	} else if err != nil {
		return nil, &LoadError{Errs: []*FieldError{syntaxError(file, data, err)}}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &LoadError{Errs: []*FieldError{{File: file, Msg: "the file is empty"}}}
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != nil && !errors.Is(err, io.EOF) {
		return nil, &LoadError{Errs: []*FieldError{syntaxError(file, data, err)}}
	} else if err == nil {
		return nil, &LoadError{Errs: []*FieldError{{File: file, Line: next.Line,
			Msg: "a second YAML document starts here: a file holds one document, so remove this `---` and what follows, or move it to a file of its own"}}}
	}
	return &doc{file: file, root: root.Content[0], lines: map[string]int{}}, nil
}

// parserProblems are the messages of yaml's parser (as opposed to its
// scanner) errors. yaml reports their line counted from 0 (parser.fail adds
// 1 to the 0-based mark only for scanner errors), and leaves the line out
// when it is the first.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// readerProblems are the messages of yaml's errors in decoding characters,
// which carry no line at all.
var readerProblems = []string{
	"invalid leading UTF-8 octet",
	"incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet",
	"invalid length of a UTF-8 sequence",
	"invalid Unicode character",
	"control characters are not allowed",
	"incomplete UTF-16 character",
	"unexpected low surrogate area",
	"incomplete UTF-16 surrogate pair",
	"expected low surrogate area",
}

// syntaxError turns yaml's "yaml: line 3: mapping values are not allowed"
// into a FieldError with the line split out, as a 1-based line of data.
func syntaxError(file string, data []byte, err error) *FieldError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n >= 0 {
				line, msg = n, tail
			}
		}
	}
	switch {
	case slices.Contains(parserProblems, msg):
		line++
	case line > 0:
		// A scanner error, already counted from 1.
	case slices.Contains(readerProblems, msg):
		line = badCharLine(data)
	case strings.HasPrefix(msg, "unknown anchor '") && strings.HasSuffix(msg, "' referenced"):
		line = aliasLine(data, strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced"))
	default:
		// yaml leaves the line out when it is the first.
		line = 1
	}
	// An error at the end of the text is on the last line, not after it.
	line = min(line, lastLine(data))
	return &FieldError{File: file, Line: line, Msg: "invalid YAML: " + msg}
}

// lineBreak returns the length of the line break yaml sees at data[i:]
// (\n, \r, \r\n, NEL, LS or PS), or 0.
func lineBreak(data []byte, i int) int {
	switch {
	case data[i] == '\n':
		return 1
	case data[i] == '\r':
		if i+1 < len(data) && data[i+1] == '\n' {
			return 2
		}
		return 1
	}
	if r, size := utf8.DecodeRune(data[i:]); r == 0x85 || r == 0x2028 || r == 0x2029 {
		return size
	}
	return 0
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int) int {
	line := 1
	for i := 0; i < off && i < len(data); {
		if n := lineBreak(data, i); n > 0 {
			line++
			i += n
			continue
		}
		i++
	}
	return line
}

// lastLine returns the number of the last line of data that has any text:
// a final line break starts no line of its own.
func lastLine(data []byte) int {
	n := len(data)
	for i := 0; i < len(data); {
		if b := lineBreak(data, i); b > 0 {
			if i+b == len(data) {
				n = i
			}
			i += b
			continue
		}
		i++
	}
	return max(1, lineAt(data, n))
}

// yamlChar reports whether yaml accepts r in a text.
func yamlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0x7E || r == 0x85 ||
		r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// badCharLine returns the line of the first character yaml's reader
// rejects (bad encoding or a control character), or 0 if there is none.
func badCharLine(data []byte) int {
	if len(data) >= 2 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF) {
		return badUTF16Line(data[2:], data[0] == 0xFF)
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || !yamlChar(r) {
			return lineAt(data, i)
		}
		i += size
	}
	return 0
}

// badUTF16Line is badCharLine for UTF-16 text after its byte order mark.
func badUTF16Line(data []byte, littleEndian bool) int {
	unit := func(i int) rune {
		if littleEndian {
			return rune(data[i]) | rune(data[i+1])<<8
		}
		return rune(data[i])<<8 | rune(data[i+1])
	}
	line := 1
	prevCR := false
	for i := 0; i < len(data); {
		if i+1 >= len(data) {
			return line
		}
		r, width := unit(i), 2
		switch {
		case r&0xFC00 == 0xDC00:
			return line
		case r&0xFC00 == 0xD800:
			if i+3 >= len(data) || unit(i+2)&0xFC00 != 0xDC00 {
				return line
			}
			r, width = 0x10000+(r&0x3FF)<<10+(unit(i+2)&0x3FF), 4
		}
		if !yamlChar(r) {
			return line
		}
		if r == '\n' && !prevCR || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029 {
			line++
		}
		prevCR = r == '\r'
		i += width
	}
	return 0
}

// aliasLine returns the line of the first alias *name in data, or 0.
func aliasLine(data []byte, name string) int {
	token := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(data[off:], token)
		if i < 0 {
			return 0
		}
		i += off
		end := i + len(token)
		before := i == 0 || bytes.IndexByte([]byte(" \t\r\n[{,"), data[i-1]) >= 0
		after := end == len(data) || bytes.IndexByte([]byte(" \t\r\n]},"), data[end]) >= 0
		if before && after {
			return lineAt(data, i)
		}
		off = i + 1
	}
}

// errorf records a problem with the field at path.
func (d *doc) errorf(path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{File: d.file, Line: d.line(path), Field: path, Msg: fmt.Sprintf(format, args...)})
}

// line returns the line of the field at path, or of its nearest ancestor
// that appeared in the file (for a missing field: the mapping that lacks it).
func (d *doc) line(path string) int {
	for p := path; ; {
		if n, ok := d.lines[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return d.lines[""]
		}
		p = p[:i]
	}
}

// err returns the collected problems as a *LoadError, or nil.
func (d *doc) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	if d.aliasBomb != nil {
		// What was found in the file besides is about values cut short
		// or repeated by the aliases: report only the aliases.
		d.errs = slices.DeleteFunc(d.errs, func(fe *FieldError) bool { return fe.File == d.file && fe != d.aliasBomb })
	}
	sortErrs(d.file, d.errs)
	return &LoadError{Errs: d.errs}
}

// sortErrs orders errs as a LoadError holds them: first's problems, then
// those of each other file in the order they first appear, each file's by
// line. The sort is stable, so problems on one line keep their order.
func sortErrs(first string, errs []*FieldError) {
	rank := map[string]int{first: 0}
	for _, fe := range errs {
		if _, ok := rank[fe.File]; !ok {
			rank[fe.File] = len(rank)
		}
	}
	slices.SortStableFunc(errs, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(rank[a.File], rank[b.File]), cmp.Compare(a.Line, b.Line))
	})
}

// decode fills out, a pointer to a struct of plain fields tagged `yaml:"…"`,
// from node, rejecting unknown keys and type mismatches. Fields of type
// yaml.Node receive the node as is, for polymorphic values that the caller
// interprets.
func (d *doc) decode(node *yaml.Node, path string, out any) {
	d.decodeValue(node, path, reflect.ValueOf(out).Elem())
}

var nodeType = reflect.TypeFor[yaml.Node]()

func (d *doc) decodeValue(n *yaml.Node, path string, v reflect.Value) {
	if d.aliasBomb != nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		if d.aliasDepth == 0 {
			d.aliasLine, d.aliasPath = n.Line, path
		}
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		d.aliasDepth++
		defer func() { d.aliasDepth-- }()
	}
	if d.aliasDepth > 0 {
		if d.aliasValues++; d.aliasValues > maxAliasValues {
			d.aliasBomb = &FieldError{File: d.file, Line: d.aliasLine, Field: d.aliasPath,
				Msg: fmt.Sprintf("the file's aliases expand to more than %d values, so it is not read further: write the repeated parts out, or alias less deeply", maxAliasValues)}
			d.errs = append(d.errs, d.aliasBomb)
			return
		}
	}
	d.lines[path] = n.Line
	if v.Type() == nodeType {
		if d.aliasDepth > 0 {
			// Hand the value on behind an alias, so that decoding it
			// later counts as expanding an alias too.
			v.Set(reflect.ValueOf(yaml.Node{Kind: yaml.AliasNode, Alias: n, Line: d.aliasLine, Column: n.Column}))
		} else {
			v.Set(reflect.ValueOf(*n))
		}
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // leave the zero value; validation decides if it is required
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decodeValue(n, path, v.Elem())
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.errorf(path, "want a mapping of fields, got %s", describe(n))
			return
		}
		fields := yamlFields(v.Type())
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			sub := join(path, key.Value)
			if seen[key.Value] {
				d.lines[sub] = key.Line
				d.errorf(sub, "given twice")
				continue
			}
			seen[key.Value] = true
			idx, ok := fields[key.Value]
			if !ok {
				d.lines[sub] = key.Line
				d.errorf(sub, "unknown field (known fields: %s)", strings.Join(sortedKeys(fields), ", "))
				continue
			}
			d.decodeValue(val, sub, v.Field(idx))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(path, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, el := range n.Content {
			d.decodeValue(el, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
		}
		v.Set(s)
	default:
		if n.Kind != yaml.ScalarNode {
			d.errorf(path, "want a single value, got %s", describe(n))
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.errorf(path, "want %s, got %s", kindWord(v.Kind()), describe(n))
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

func kindWord(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	}
	return k.String()
}

// yamlFields maps a struct's yaml keys to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = i
	}
	return m
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// asLoadError returns err's field errors, or wraps a plain error.
func asLoadError(file string, err error) *LoadError {
	var le *LoadError
	if errors.As(err, &le) {
		return le
	}
	return &LoadError{Errs: []*FieldError{{File: file, Msg: err.Error()}}}
}
