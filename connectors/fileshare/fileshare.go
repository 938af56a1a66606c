// Package fileshare is the connector for local and mounted file shares
// (including Windows UNC paths mounted or given directly).
//
// Every operation goes through an os.Root, so nothing can reach outside the
// configured root, and symbolic links (and on Windows junctions and other
// reparse points) are never followed: a link inside the tree is neither an
// item nor a folder to descend into. Refs are '/'-separated paths relative
// to the root.
package fileshare

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
)

// Options configure a file-share source.
type Options struct {
	// Root is the folder to manage, absolute or relative to the directory
	// of the configuration file.
	Root string `yaml:"root"`
	// Exclude lists file and folder names (exact base names) to leave out
	// of the listing, e.g. "Thumbs.db" or "$RECYCLE.BIN".
	Exclude []string `yaml:"exclude"`
}

// Validate checks the options without touching the file system.
func (o *Options) Validate() error {
	if strings.TrimSpace(o.Root) == "" {
		return errors.New("root: missing: the folder to manage")
	}
	if isFilesystemRoot(o.Root) {
		return fmt.Errorf("root: %q is the root of a file system; name the share's folder instead", o.Root)
	}
	return nil
}

func isFilesystemRoot(p string) bool {
	c := filepath.Clean(p)
	return c == "/" || c == filepath.VolumeName(c)+string(filepath.Separator) || c == filepath.VolumeName(c) && c != "" && !strings.HasPrefix(c, `\\`)
}

// Kind is the registry entry for `kind: fileshare`.
func Kind() connectors.Kind {
	return connectors.Kind{
		Name:      "fileshare",
		NewConfig: func() any { return &Options{} },
		Open: func(ctx context.Context, env connectors.Env, options any) (connectors.Connector, error) {
			o, ok := options.(*Options)
			if !ok {
				return nil, fmt.Errorf("fileshare: options of type %T", options)
			}
			root := o.Root
			if !filepath.IsAbs(root) {
				root = filepath.Join(env.BaseDir, root)
			}
			c, err := Open(root, env.Logger)
			if err != nil {
				return nil, err
			}
			c.exclude = o.Exclude
			return c, nil
		},
	}
}

// Conn is an open file share.
type Conn struct {
	root    *os.Root
	dir     string
	exclude []string
	log     *zap.Logger
}

var (
	_ connectors.Connector = (*Conn)(nil)
	_ connectors.Pruner    = (*Conn)(nil)
)

// Open opens the folder at dir. It fails, rather than reporting an empty
// share, when dir does not exist, is not a folder or cannot be read.
func Open(dir string, log *zap.Logger) (*Conn, error) {
	if log == nil {
		log = zap.NewNop()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
	}
	if isFilesystemRoot(abs) {
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("root %q is the root of a file system; name the share's folder instead", abs))
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, connectors.Errorf(connectors.CodeNotFound, "open", "", fmt.Errorf("root %q does not exist: check options.root (is the share mounted?)", abs))
	case err != nil:
		return nil, connectors.Errorf(classify(err), "open", "", fmt.Errorf("root %q: %w", abs, err))
	case !st.IsDir():
		return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", fmt.Errorf("root %q is not a folder", abs))
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, connectors.Errorf(classify(err), "open", "", fmt.Errorf("root %q: %w", abs, err))
	}
	// Prove the root can be listed: an unreadable root must not look empty.
	f, err := r.Open(".")
	if err == nil {
		_, err = readDir(f, 1)
		f.Close()
		if errors.Is(err, errEOF) {
			err = nil
		}
	}
	if err != nil {
		r.Close()
		return nil, connectors.Errorf(classify(err), "open", "", fmt.Errorf("root %q cannot be read: %w (does the service account have read access?)", abs, err))
	}
	return &Conn{root: r, dir: abs, log: log}, nil
}

// Location implements connectors.Connector.
func (c *Conn) Location() string { return "fileshare:" + c.dir }

// Close implements connectors.Connector.
func (c *Conn) Close() error { return c.root.Close() }

// ValidRef reports whether ref could have been produced by List: relative,
// '/'-separated, clean, without "." or ".." segments, backslashes or NUL.
func ValidRef(ref string) error {
	bad := func(why string) error {
		return connectors.Errorf(connectors.CodeInvalid, "ref", ref, errors.New(why))
	}
	switch {
	case ref == "":
		return bad("empty")
	case strings.ContainsAny(ref, "\\\x00"):
		return bad("contains a backslash or NUL")
	case strings.HasPrefix(ref, "/"), strings.HasSuffix(ref, "/"):
		return bad("must be relative, without a trailing slash")
	case filepath.IsAbs(ref) || filepath.VolumeName(ref) != "":
		return bad("must be relative")
	}
	for _, seg := range strings.Split(ref, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("has an empty, '.' or '..' segment")
		}
	}
	return nil
}

// List implements connectors.Connector: a depth-first walk, entries sorted
// by name in each folder, one folder in memory at a time.
func (c *Conn) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	start := "."
	if opts.Prefix != "" {
		if err := ValidRef(opts.Prefix); err != nil {
			return err
		}
		start = opts.Prefix
	}
	var skipped []error
	w := walker{c: c, ctx: ctx, fn: fn, skipped: &skipped}
	if err := w.dir(start, true); err != nil {
		return err
	}
	if len(skipped) > 0 {
		return &connectors.IncompleteError{Skipped: skipped}
	}
	return nil
}

type walker struct {
	c       *Conn
	ctx     context.Context
	fn      func(connectors.Item) error
	skipped *[]error
}

type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// dir lists folder ref ("." for the root). Failing to read the starting
// folder is an error; failing to read one below it is recorded as skipped.
func (w *walker) dir(ref string, top bool) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	f, err := w.c.root.Open(filepath.FromSlash(ref))
	var entries []fs.DirEntry
	if err == nil {
		entries, err = readDir(f, -1)
		f.Close()
	}
	if err != nil {
		cerr := connectors.Errorf(classify(err), "list", ref, err)
		if top {
			return cerr
		}
		w.c.log.Warn("folder skipped", zap.String("code", classify(err).String()))
		*w.skipped = append(*w.skipped, cerr)
		return nil
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	container := ref
	if ref == "." {
		container = ""
	}
	for _, e := range entries {
		name := e.Name()
		if slices.Contains(w.c.exclude, name) {
			continue
		}
		child := name
		if container != "" {
			child = container + "/" + name
		}
		typ := e.Type()
		switch {
		case typ&fs.ModeSymlink != 0 || typ&fs.ModeIrregular != 0 && typ&fs.ModeDir == 0:
			w.c.log.Debug("link or special file not followed", zap.String("type", typ.String()))
		case typ.IsDir():
			if err := w.dir(child, false); err != nil {
				return err
			}
		case typ.IsRegular():
			info, err := e.Info()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue // removed while listing
				}
				*w.skipped = append(*w.skipped, connectors.Errorf(classify(err), "list", child, err))
				continue
			}
			if err := w.fn(itemOf(child, container, info)); err != nil {
				return err
			}
		}
	}
	return nil
}

func itemOf(ref, container string, info fs.FileInfo) connectors.Item {
	return connectors.Item{
		Ref:       ref,
		Version:   version(info),
		Container: container,
		Kind:      connectors.KindFile,
		Size:      info.Size(),
		Modified:  info.ModTime(),
	}
}

// version is size, modification time and, where the system has one, the
// file's identity (inode): a file replaced by another with the same size
// and time still gets a new version.
func version(info fs.FileInfo) string {
	v := fmt.Sprintf("s%d-m%d", info.Size(), info.ModTime().UnixNano())
	if id := fileID(info); id != "" {
		v += "-i" + id
	}
	return v
}

// Stat implements connectors.Connector.
func (c *Conn) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	if err := ValidRef(ref); err != nil {
		return connectors.Item{}, err
	}
	info, err := c.root.Lstat(filepath.FromSlash(ref))
	if err != nil {
		return connectors.Item{}, connectors.Errorf(classify(err), "stat", ref, err)
	}
	if !info.Mode().IsRegular() {
		return connectors.Item{}, connectors.Errorf(connectors.CodeInvalid, "stat", ref, errors.New("not a regular file"))
	}
	return itemOf(ref, parent(ref), info), nil
}

func parent(ref string) string {
	p := path.Dir(ref)
	if p == "." {
		return ""
	}
	return p
}

// DeleteBatch implements connectors.Connector. Each file's version is
// checked immediately before it is removed; a read-only file is made
// writable and removed. Absence is verified after each removal.
func (c *Conn) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	results := make([]connectors.Result, len(targets))
	for i, t := range targets {
		results[i] = connectors.Result{Ref: t.Ref}
		if err := ctx.Err(); err != nil {
			for j := i; j < len(targets); j++ {
				results[j] = connectors.Result{Ref: targets[j].Ref, Outcome: connectors.OutcomeFailed,
					Err: connectors.Errorf(connectors.CodeCancelled, "delete", targets[j].Ref, err)}
			}
			return results, nil
		}
		results[i] = c.deleteOne(t)
	}
	return results, nil
}

func (c *Conn) deleteOne(t connectors.Target) connectors.Result {
	res := connectors.Result{Ref: t.Ref}
	fail := func(op string, err error) connectors.Result {
		res.Outcome, res.Err = connectors.OutcomeFailed, connectors.Errorf(classify(err), op, t.Ref, err)
		return res
	}
	if err := ValidRef(t.Ref); err != nil {
		res.Outcome, res.Err = connectors.OutcomeFailed, err
		return res
	}
	name := filepath.FromSlash(t.Ref)
	info, err := c.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.Outcome = connectors.OutcomeAbsent
		return res
	case err != nil:
		return fail("stat", err)
	case !info.Mode().IsRegular() || version(info) != t.Version:
		res.Outcome = connectors.OutcomeChanged
		return res
	}
	if err := c.root.Remove(name); err != nil {
		if !errors.Is(err, fs.ErrPermission) {
			return fail("delete", err)
		}
		// A read-only file (the Windows read-only attribute) must not
		// block deletion: make it writable and try once more.
		if cerr := c.root.Chmod(name, info.Mode().Perm()|0o200); cerr != nil {
			return fail("delete", err)
		}
		if err := c.root.Remove(name); err != nil {
			return fail("delete", err)
		}
	}
	if _, err := c.root.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		if err == nil {
			err = errors.New("still present after removal")
		}
		return fail("verify", err)
	}
	res.Outcome, res.Method = connectors.OutcomeDeleted, "delete"
	return res
}

// PruneEmpty implements connectors.Pruner.
func (c *Conn) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	if stopAt != "" {
		if err := ValidRef(stopAt); err != nil {
			return nil, err
		}
	}
	// Deepest first, so a parent is tried after its children.
	cs := slices.Clone(containers)
	slices.SortFunc(cs, func(a, b string) int {
		if d := strings.Count(b, "/") - strings.Count(a, "/"); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	cs = slices.Compact(cs)
	var removed []string
	for _, dir := range cs {
		for d := dir; d != "" && d != stopAt && isBelow(d, stopAt); d = parent(d) {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			if err := ValidRef(d); err != nil {
				return removed, err
			}
			info, err := c.root.Lstat(filepath.FromSlash(d))
			if err != nil || !info.IsDir() {
				break // gone, or not a plain folder (a link): leave it
			}
			if err := c.root.Remove(filepath.FromSlash(d)); err != nil {
				break // not empty (or not removable): stop climbing
			}
			removed = append(removed, d)
		}
	}
	return removed, nil
}

// isBelow reports whether ref lies strictly inside folder stop ("" is the root).
func isBelow(ref, stop string) bool {
	return stop == "" || strings.HasPrefix(ref, stop+"/")
}

// classify maps file-system errors to connector codes.
func classify(err error) connectors.Code {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return connectors.CodeNotFound
	case errors.Is(err, fs.ErrPermission):
		return connectors.CodePermission
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return connectors.CodeCancelled
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return connectors.CodeInvalid
	}
	return connectors.CodeIO
}
