package fileshare

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/retentiond/retentiond/connectors"
)

var _ connectors.Archiver = (*Conn)(nil)

// Archive moves the targets, in order, to dest/<ref> inside the same root
// (see [connectors.Archiver]). Each file's version is checked immediately
// before it is renamed; folders below dest are created, and the
// destination's folders are checked not to be links, as every other path.
// A file already in the archive with the target's version counts as
// archived, so that an interrupted run can be finished; a different file
// there is never overwritten.
func (c *Conn) Archive(ctx context.Context, targets []connectors.Target, dest string) ([]connectors.Result, error) {
	if err := checkRef(dest); err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "archive", dest, fmt.Errorf("archive folder: %w", err))
	}
	if len(targets) > 0 && ctx.Err() == nil {
		if _, err := c.root.Stat("."); err != nil {
			return nil, connectors.Errorf(rootCode(err), "archive", "", fmt.Errorf("root %q cannot be reached: %w", c.abs, err))
		}
	}
	return connectors.EachTarget(ctx, "archive", targets, func(t connectors.Target) connectors.Result { return c.archiveOne(t, dest) }), nil
}

func (c *Conn) archiveOne(t connectors.Target, dest string) connectors.Result {
	res := connectors.Result{Ref: t.Ref}
	failed := func(code connectors.Code, err error) connectors.Result {
		res.Outcome, res.Err = connectors.OutcomeFailed, connectors.Errorf(code, "archive", t.Ref, err)
		return res
	}
	if err := checkRef(t.Ref); err != nil {
		return failed(connectors.CodeInvalid, err)
	}
	if t.Ref == dest || strings.HasPrefix(t.Ref, dest+"/") {
		return failed(connectors.CodeInvalid, errors.New("the item is inside the archive folder already"))
	}
	to := dest + "/" + t.Ref
	toDirRef, toName := splitRef(to)
	// archived reports whether the archive holds the target's version.
	archived := func() (bool, error) {
		dir, err := c.openDir(toDirRef)
		if err != nil {
			if classify(err) == connectors.CodeNotFound {
				return false, nil
			}
			return false, err
		}
		defer dir.Close()
		info, err := dir.Lstat(toName)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return false, nil
		case err != nil:
			return false, err
		case info.Mode().Type() != 0 || version(info) != t.Version:
			return false, connectors.Errorf(connectors.CodeConflict, "archive", t.Ref, errors.New("the archive already holds another file under this name"))
		}
		return true, nil
	}

	dirRef, name := splitRef(t.Ref)
	dir, err := c.openDir(dirRef)
	if err != nil && classify(err) != connectors.CodeNotFound {
		return failed(classify(err), err)
	}
	present := false
	if err == nil {
		info, err := dir.Lstat(name)
		dir.Close()
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return failed(classify(err), err)
		case info.Mode().Type() != 0 || version(info) != t.Version:
			res.Outcome = connectors.OutcomeChanged
			return res
		default:
			present = true
		}
	}
	done, err := archived()
	if err != nil {
		return failed(connectors.CodeOf(err), err)
	}
	switch {
	case !present && done:
		res.Outcome, res.Method = connectors.OutcomeArchived, "archive"
		return res
	case !present:
		res.Outcome = connectors.OutcomeAbsent
		return res
	case done:
		return failed(connectors.CodeConflict, errors.New("the file is both in place and in the archive"))
	}
	if err := c.root.MkdirAll(filepath.FromSlash(toDirRef), 0o750); err != nil {
		return failed(classify(err), fmt.Errorf("create archive folder: %w", err))
	}
	// The folders must be plain folders, not links out of the tree.
	if d, err := c.openDir(toDirRef); err != nil {
		return failed(classify(err), err)
	} else {
		d.Close()
	}
	if err := c.root.Rename(filepath.FromSlash(t.Ref), filepath.FromSlash(to)); err != nil {
		return failed(classify(err), err)
	}
	if ok, err := archived(); !ok || err != nil {
		if err == nil {
			err = errors.New("the file is not in the archive")
		}
		return failed(connectors.CodeIO, fmt.Errorf("move could not be confirmed: %w", err))
	}
	res.Outcome, res.Method = connectors.OutcomeArchived, "archive"
	return res
}
