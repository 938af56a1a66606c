// Package exports is the connector for the school systems' export files:
// student lists from Lectio and TEA/SkoleIntra, staff lists from Lectio and
// HR systems, as CSV or XLSX files that someone saves into a folder.
//
// It plays two parts. As a [connectors.SubjectSource] it reads the latest
// export through a column [Mapping] and reports who the students and staff
// are and when they started and left; the scheduler imports that before
// planning, for the rules of every source that count from such events. As a
// [connectors.Connector] it lists the export files themselves, which hold
// personal data too: every file but the KeepLatest newest carries the label
// [LabelSuperseded], and a policy rule deletes those.
//
// Files are matched by base name against Files and ranked by modification
// time, newest first (ties by ref). Listing, deletion and pruning are those
// of the [fileshare] connector on Dir, with its confinement.
package exports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/fileshare"
)

// Labels the connector gives export files.
const (
	// LabelExport is on every export file.
	LabelExport = "export"
	// LabelSuperseded is on every export file but the KeepLatest newest.
	LabelSuperseded = "superseded-export"
)

// DefaultKeepLatest is how many exports per source are kept when the
// options do not say.
const DefaultKeepLatest = 3

// Options configure an export source: the `options:` of a source with
// `kind: export`.
type Options struct {
	// Dir is the folder the exports are saved in, absolute or relative to
	// the configuration file's directory.
	Dir string `yaml:"dir"`
	// Files is a glob matched against file names ("elever_*.csv"); "" is
	// every file. Files that do not match are neither read nor listed.
	Files string `yaml:"files"`
	// Preset names a shipped mapping (see [Presets]); Subjects, Columns,
	// IgnoreColumns and the manager settings override or extend it.
	Preset        string            `yaml:"preset"`
	Subjects      string            `yaml:"subjects"`
	Columns       map[string]string `yaml:"columns"`
	IgnoreColumns []string          `yaml:"ignore_columns"`
	// IgnoreOtherColumns accepts headers that are neither mapped nor
	// ignored. Off by default: a new column usually means a new layout.
	IgnoreOtherColumns bool     `yaml:"ignore_other_columns"`
	ManagerRoles       []string `yaml:"manager_roles"`
	ManagerSalaryFrame *int     `yaml:"manager_salary_frame"`
	// Encoding ("utf-8", "windows-1252", "auto") and Delimiter (";", ",",
	// "tab", "auto") of CSV files; Sheet of XLSX files.
	Encoding  string `yaml:"encoding"`
	Delimiter string `yaml:"delimiter"`
	Sheet     string `yaml:"sheet"`
	// KeepLatest is how many exports are kept; older ones are labelled
	// superseded. Default 3.
	KeepLatest int `yaml:"keep_latest"`
	// MaxMegabytes and MaxRows bound the export read (default 64 MiB and
	// 250,000 rows): a larger one is refused whole, and the previous
	// import stays in force.
	MaxMegabytes int `yaml:"max_megabytes"`
	MaxRows      int `yaml:"max_rows"`
}

// Roots implements [connectors.Rooted]: the folder of the exports, whose
// files the source manages too (superseded exports fall under retention).
func (o *Options) Roots() []connectors.Root { return []connectors.Root{{Field: "dir", Path: o.Dir}} }

// Validate checks the options and resolves the mapping without touching
// the file system.
func (o *Options) Validate() error {
	_, _, err := o.resolve()
	return err
}

func (o *Options) resolve() (*Mapping, Format, error) {
	var f Format
	if strings.TrimSpace(o.Dir) == "" {
		return nil, f, errors.New("dir is required: set options.dir to the folder the exports are saved in")
	}
	if _, err := path.Match(o.Files, ""); err != nil {
		return nil, f, fmt.Errorf("files: %q is not a valid pattern: %w", o.Files, err)
	}
	m := &Mapping{Columns: map[Field]string{}, ManagerSalaryFrame: DefaultManagerSalaryFrame}
	if o.Preset != "" {
		p, ok := Presets[o.Preset]
		if !ok {
			return nil, f, fmt.Errorf("preset: %q is not a preset (presets: %s)", o.Preset, strings.Join(PresetNames(), ", "))
		}
		m.Kind, m.Ignore, m.ManagerRoles = p.Mapping.Kind, slices.Clone(p.Mapping.Ignore), slices.Clone(p.Mapping.ManagerRoles)
		for k, v := range p.Mapping.Columns {
			m.Columns[k] = v
		}
		if p.Mapping.ManagerSalaryFrame == 0 {
			m.ManagerSalaryFrame = 0
		}
	}
	if o.Subjects != "" {
		m.Kind = o.Subjects
	}
	for k, v := range o.Columns {
		if !slices.Contains(Fields, Field(k)) {
			return nil, f, fmt.Errorf("columns: %q is not a field (fields: %s)", k, fieldList())
		}
		m.Columns[Field(k)] = v // "" unmaps a preset's column
	}
	m.Ignore = append(m.Ignore, o.IgnoreColumns...)
	m.IgnoreOthers = o.IgnoreOtherColumns
	if o.ManagerRoles != nil {
		m.ManagerRoles = o.ManagerRoles
	}
	if o.ManagerSalaryFrame != nil {
		m.ManagerSalaryFrame = *o.ManagerSalaryFrame
	}
	if o.Preset == "" && o.Subjects == "" {
		return nil, f, fmt.Errorf("subjects: say whether the export lists students or staff, or name a preset (presets: %s)", strings.Join(PresetNames(), ", "))
	}
	if err := m.Validate(); err != nil {
		return nil, f, err
	}
	switch strings.ToLower(o.Encoding) {
	case "", "auto":
	case "utf-8", "utf8":
		f.Encoding = EncodingUTF8
	case "windows-1252", "cp1252", "ansi", "latin1", "iso-8859-1":
		f.Encoding = EncodingWindows1252
	default:
		return nil, f, fmt.Errorf("encoding: %q is not supported (use utf-8, windows-1252 or auto)", o.Encoding)
	}
	switch o.Delimiter {
	case "", "auto":
	case ";", ",":
		f.Delimiter, _ = utf8.DecodeRuneInString(o.Delimiter)
	case "tab", "\t":
		f.Delimiter = '\t'
	default:
		return nil, f, fmt.Errorf("delimiter: %q is not supported (use \";\", \",\", tab or auto)", o.Delimiter)
	}
	f.Sheet = o.Sheet
	if o.KeepLatest < 0 {
		return nil, f, errors.New("keep_latest: must be at least 1")
	}
	if o.MaxMegabytes < 0 || o.MaxMegabytes > 1<<20 {
		return nil, f, fmt.Errorf("max_megabytes: %d is not a size in MiB (default %d)", o.MaxMegabytes, DefaultMaxBytes>>20)
	}
	if o.MaxRows < 0 {
		return nil, f, fmt.Errorf("max_rows: %d is not a number of rows (default %d)", o.MaxRows, DefaultMaxRows)
	}
	f.Limits = Limits{MaxBytes: int64(o.MaxMegabytes) << 20, MaxRows: o.MaxRows}
	return m, f, nil
}

// Kind is the registry entry for `kind: export`.
func Kind() connectors.Kind {
	return connectors.NewKind("export", func(ctx context.Context, env connectors.Env, o *Options) (connectors.Connector, error) {
		dir := o.Dir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(env.BaseDir, dir)
		}
		c, err := Open(ctx, dir, o, env)
		if err != nil {
			return nil, err
		}
		return c, nil
	})
}

// Conn is an open export folder. It implements [connectors.Connector],
// [connectors.Pruner], [connectors.ConcurrentDeleter] (as a file share
// does) and [connectors.SubjectSource].
type Conn struct {
	*fileshare.Conn
	dir     string
	files   string
	keep    int
	mapping *Mapping
	format  Format
}

var (
	_ connectors.Connector         = (*Conn)(nil)
	_ connectors.Pruner            = (*Conn)(nil)
	_ connectors.ConcurrentDeleter = (*Conn)(nil)
	_ connectors.SubjectSource     = (*Conn)(nil)
)

// Open opens the export folder dir with options o (o.Dir is not used).
func Open(ctx context.Context, dir string, o *Options, env connectors.Env) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, connectors.Errorf(connectors.CodeCancelled, "open", "", err)
	}
	m, f, err := o.resolve()
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	fs, err := fileshare.Open(dir, env.Logger)
	if err != nil {
		return nil, err
	}
	keep := o.KeepLatest
	if keep == 0 {
		keep = DefaultKeepLatest
	}
	return &Conn{Conn: fs, dir: dir, files: o.Files, keep: keep, mapping: m, format: f}, nil
}

// Location implements [connectors.Connector].
func (c *Conn) Location() string { return "export:" + c.dir }

// Kind is the kind of person the exports list.
func (c *Conn) Kind() string { return c.mapping.Kind }

// matchName reports whether the base name of ref matches the files glob,
// both in Unicode NFC ("elever_*.csv" and a name a macOS client wrote with
// decomposed letters).
func matchName(glob, ref string) bool {
	ok, _ := path.Match(norm.NFC.String(glob), norm.NFC.String(path.Base(ref)))
	return ok
}

// exports lists the export files, newest first.
func (c *Conn) exports(ctx context.Context) ([]connectors.Item, error) {
	var items []connectors.Item
	err := c.Conn.List(ctx, connectors.ListOptions{}, func(it connectors.Item) error {
		if c.files != "" {
			if !matchName(c.files, it.Ref) {
				return nil
			}
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(items, func(a, b connectors.Item) int {
		if c := b.Modified.Compare(a.Modified); c != 0 {
			return c
		}
		return strings.Compare(b.Ref, a.Ref)
	})
	return items, nil
}

// List implements [connectors.Connector]: the export files under
// opts.Prefix, in ref order, each labelled export, and all but the
// KeepLatest newest of the whole folder labelled superseded.
func (c *Conn) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	items, err := c.exports(ctx)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].Labels = append(items[i].Labels, LabelExport)
		if i >= c.keep {
			items[i].Labels = append(items[i].Labels, LabelSuperseded)
		}
	}
	slices.SortFunc(items, func(a, b connectors.Item) int { return strings.Compare(a.Ref, b.Ref) })
	for _, it := range items {
		if opts.Prefix != "" && it.Ref != opts.Prefix && !strings.HasPrefix(it.Ref, strings.TrimSuffix(opts.Prefix, "/")+"/") {
			continue
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

// Stat implements [connectors.Connector], with the labels List gives. A
// file that Files does not match is reported as not found.
func (c *Conn) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	it, err := c.Conn.Stat(ctx, ref)
	if err != nil {
		return it, err
	}
	if c.files != "" {
		if !matchName(c.files, ref) {
			return connectors.Item{}, connectors.Errorf(connectors.CodeNotFound, "stat", ref, errors.New("not an export file: the name does not match files"))
		}
	}
	items, err := c.exports(ctx)
	if err != nil {
		return connectors.Item{}, err
	}
	it.Labels = []string{LabelExport}
	for i := range items {
		if items[i].Ref == ref && i >= c.keep {
			it.Labels = append(it.Labels, LabelSuperseded)
		}
	}
	return it, nil
}

// ErrNoExport is returned by ReadSubjects when the folder holds no export.
var ErrNoExport = errors.New("no export file found")

// LatestExport implements [connectors.SubjectSource].
func (c *Conn) LatestExport(ctx context.Context) (connectors.ExportInfo, error) {
	items, err := c.exports(ctx)
	if err != nil {
		return connectors.ExportInfo{}, err
	}
	if len(items) == 0 {
		return connectors.ExportInfo{}, fmt.Errorf("%s (files %q): %w", c.dir, c.files, ErrNoExport)
	}
	return connectors.ExportInfo{Ref: items[0].Ref, Version: items[0].Version, Kind: c.mapping.Kind, Modified: items[0].Modified}, nil
}

// ReadSubjects implements [connectors.SubjectSource] on the newest export.
// Files named .xlsx are read as workbooks, everything else as CSV.
func (c *Conn) ReadSubjects(ctx context.Context, fn func(connectors.SubjectRow) error) (connectors.ExportInfo, error) {
	items, err := c.exports(ctx)
	if err != nil {
		return connectors.ExportInfo{}, err
	}
	if len(items) == 0 {
		return connectors.ExportInfo{}, fmt.Errorf("%s (files %q): %w", c.dir, c.files, ErrNoExport)
	}
	latest := items[0]
	info := connectors.ExportInfo{Ref: latest.Ref, Version: latest.Version, Kind: c.mapping.Kind, Modified: latest.Modified}
	if latest.Size > c.format.Limits.maxBytes() {
		return info, fmt.Errorf("export %s: %w", latest.Ref, c.format.Limits.sizeError(latest.Size, false))
	}
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return info, fmt.Errorf("open export folder: %w", err)
	}
	defer root.Close()
	fh, err := root.Open(filepath.FromSlash(latest.Ref))
	if err != nil {
		return info, fmt.Errorf("open export %s: %w", latest.Ref, err)
	}
	defer fh.Close()
	read := ReadCSV
	if strings.EqualFold(path.Ext(latest.Ref), ".xlsx") {
		read = ReadXLSX
	}
	n, err := read(ctx, fh, c.mapping, c.format, fn)
	info.Rows = n
	if err != nil {
		return info, fmt.Errorf("export %s: %w", latest.Ref, err)
	}
	// A file that changed while it was read may be half old, half new.
	now, err := c.Conn.Stat(ctx, latest.Ref)
	if err != nil {
		return info, fmt.Errorf("export %s: %w", latest.Ref, err)
	}
	if now.Version != latest.Version {
		return info, fmt.Errorf("export %s changed while it was read; try again once it is saved", latest.Ref)
	}
	return info, nil
}
