package configs

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

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

// LoadError collects every problem found in a load, in file order.
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
}

// parseDoc parses one YAML document. Syntax errors are reported with the
// line yaml gives.
func parseDoc(file string, data []byte) (*doc, error) {
	d := &doc{file: file, lines: map[string]int{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &LoadError{Errs: []*FieldError{syntaxError(file, err)}}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &LoadError{Errs: []*FieldError{{File: file, Msg: "the file is empty"}}}
	}
	d.root = root.Content[0]
	return d, nil
}

// syntaxError turns yaml's "yaml: line 3: mapping values are not allowed"
// into a FieldError with the line split out.
func syntaxError(file string, err error) *FieldError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	fe := &FieldError{File: file, Msg: "invalid YAML: " + msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				fe.Line, fe.Msg = n, "invalid YAML: "+tail
			}
		}
	}
	return fe
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
	slices.SortStableFunc(d.errs, func(a, b *FieldError) int { return a.Line - b.Line })
	return &LoadError{Errs: d.errs}
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
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.lines[path] = n.Line
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
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
