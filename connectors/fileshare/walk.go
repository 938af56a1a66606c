package fileshare

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
)

var (
	// errLink: a path component is a symbolic link, a junction or another
	// reparse point; it is never followed.
	errLink = errors.New("is a symbolic link or reparse point, which retentiond does not follow")
	// errNotFolder: a path component that must be a folder is not one.
	errNotFolder = errors.New("is not a folder")
	// errIsFolder: a ref names a folder, which is not an item.
	errIsFolder = errors.New("is a folder, not a file")
	// errSpecial: a ref names a device, pipe or socket, which is not an item.
	errSpecial = errors.New("is not a regular file")
	// errMoved: a folder was replaced between checking and opening it.
	errMoved = errors.New("changed while it was being opened")
)

// classify maps a file-system error to a connector code.
func classify(err error) connectors.Code {
	switch {
	case errors.Is(err, errLink):
		return connectors.CodeInvalid
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotFolder), errors.Is(err, errIsFolder),
		errors.Is(err, errSpecial), errors.Is(err, syscall.ENOTDIR):
		return connectors.CodeNotFound
	case errors.Is(err, fs.ErrPermission):
		return connectors.CodePermission
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return connectors.CodeCancelled
	}
	return connectors.CodeIO
}

// isLink reports whether a file type is one that is never followed: a
// symbolic link, or (ModeIrregular) a Windows junction, mount point or other
// reparse point, or a file of a type the system did not report.
func isLink(t fs.FileMode) bool { return t&(fs.ModeSymlink|fs.ModeIrregular) != 0 }

// fileType checks that info describes a regular file, the only kind of item.
func fileType(info fs.FileInfo) error {
	switch t := info.Mode().Type(); {
	case t == 0:
		return nil
	case isLink(t):
		return errLink
	case t == fs.ModeDir:
		return errIsFolder
	default:
		return errSpecial
	}
}

// enter opens the folder name in parent, which Lstat described as info,
// and checks that what was opened is that folder and not something swapped
// in since.
func enter(parent *os.Root, name string, info fs.FileInfo) (*os.Root, error) {
	sub, err := parent.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	st, err := sub.Stat(".")
	if err != nil {
		sub.Close()
		return nil, err
	}
	if !os.SameFile(info, st) {
		sub.Close()
		return nil, errMoved
	}
	return sub, nil
}

// openDir opens the folder with the valid ref dir ("" for the root),
// entering it one component at a time and refusing any component that is
// not a plain folder. The caller closes the result.
func (c *Conn) openDir(dir string) (*os.Root, error) {
	cur, err := c.root.OpenRoot(".")
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return cur, nil
	}
	done := ""
	for name := range strings.SplitSeq(dir, "/") {
		done = joinRef(done, name)
		info, err := cur.Lstat(name)
		if err == nil {
			switch t := info.Mode().Type(); {
			case isLink(t):
				err = fmt.Errorf("folder %q %w", done, errLink)
			case t != fs.ModeDir:
				err = fmt.Errorf("%q %w", done, errNotFolder)
			}
		}
		var next *os.Root
		if err == nil {
			next, err = enter(cur, name, info)
		}
		cur.Close()
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur, nil
}

// List lists the regular files under the root, or under the folder
// opts.Prefix, depth first with each folder's entries in name order. A
// Prefix that does not exist lists nothing; one that goes through a link is
// refused with CodeInvalid; one that cannot be read is an error.
func (c *Conn) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	if err := ctx.Err(); err != nil {
		return connectors.Errorf(connectors.CodeCancelled, "list", opts.Prefix, err)
	}
	dir := c.root
	if p := opts.Prefix; p != "" {
		if err := checkRef(p); err != nil {
			return connectors.Errorf(connectors.CodeInvalid, "list", p, err)
		}
		for name := range strings.SplitSeq(p, "/") {
			if c.excluded(name) {
				return nil // a full listing would not show anything in there either
			}
		}
		d, err := c.openDir(p)
		if err != nil {
			if code := classify(err); code != connectors.CodeNotFound {
				return connectors.Errorf(code, "list", p, err)
			}
			return nil // nothing is inside a folder that does not exist
		}
		defer d.Close()
		dir = d
	}
	w := walker{c: c, ctx: ctx, fn: fn}
	if err := w.walk(dir, opts.Prefix, true); err != nil {
		return err
	}
	if len(w.skipped) > 0 {
		return &connectors.IncompleteError{Skipped: w.skipped}
	}
	return nil
}

type walker struct {
	c       *Conn
	ctx     context.Context
	fn      func(connectors.Item) error
	skipped []error
}

// walk lists the folder dir, whose ref is ref. Failing to read the folder
// the listing started from is an error; failing to read one below it is
// recorded in w.skipped. The errors it returns are fn's, unwrapped, or
// *connectors.Error.
func (w *walker) walk(dir *os.Root, ref string, top bool) error {
	names, err := w.c.readNames(dir, ref)
	if err != nil {
		if top {
			return connectors.Errorf(classify(err), "list", ref, err)
		}
		w.skip(ref, classify(err), err)
		return nil
	}
	slices.Sort(names)
	for _, name := range names {
		if err := w.ctx.Err(); err != nil {
			return connectors.Errorf(connectors.CodeCancelled, "list", ref, err)
		}
		child := joinRef(ref, name)
		if w.c.excluded(name) {
			w.c.log.Debug("excluded name skipped", zap.String("ref", child))
			continue
		}
		info, err := dir.Lstat(name)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) { // else removed while listing
				w.skip(child, classify(err), err)
			}
			continue
		}
		t := info.Mode().Type()
		switch {
		case t&fs.ModeSymlink != 0:
			w.c.log.Debug("symbolic link not followed", zap.String("ref", child))
			continue
		case isLink(t):
			w.c.log.Debug("reparse point or irregular file not followed", zap.String("ref", child), zap.String("mode", info.Mode().String()))
			continue
		case t != 0 && t != fs.ModeDir:
			w.c.log.Debug("special file skipped", zap.String("ref", child), zap.String("mode", info.Mode().String()))
			continue
		}
		if err := checkRef(child); err != nil {
			w.skip(child, connectors.CodeInvalid, err)
			continue
		}
		if t == 0 {
			if err := w.fn(item(child, ref, info)); err != nil {
				return err
			}
			continue
		}
		sub, err := enter(dir, name, info)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				w.skip(child, classify(err), err)
			}
			continue
		}
		err = w.walk(sub, child, false)
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) skip(ref string, code connectors.Code, err error) {
	w.c.log.Warn("part of the share skipped", zap.String("ref", ref), zap.String("code", code.String()), zap.Error(err))
	w.skipped = append(w.skipped, connectors.Errorf(code, "list", ref, err))
}

func item(ref, container string, info fs.FileInfo) connectors.Item {
	return connectors.Item{
		Ref:       ref,
		Version:   version(info),
		Container: container,
		Kind:      connectors.KindFile,
		Size:      info.Size(),
		Modified:  info.ModTime(),
		Created:   created(info),
	}
}
