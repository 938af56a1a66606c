package anchor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Dir writes each checkpoint to a file in a directory that must exist:
// retentiond does not create the DPO's share. The file appears atomically
// (written beside it, synced, renamed); an existing identical file is
// success, an existing different one is ErrConflict.
type Dir struct {
	Path string
}

var _ Target = Dir{}

// Name implements Target.
func (d Dir) Name() string { return "dir:" + d.Path }

// Send implements Target.
func (d Dir) Send(ctx context.Context, cp Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := os.Stat(d.Path)
	if err != nil {
		return fmt.Errorf("anchor directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("anchor directory %s is not a directory", d.Path)
	}
	final := filepath.Join(d.Path, FileName(cp.Origin, cp.N))
	if old, err := os.ReadFile(final); err == nil {
		if bytes.Equal(old, cp.Note) {
			return nil
		}
		return fmt.Errorf("%s: %w: verify the ledger against it now", final, ErrConflict)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(d.Path, ".anchor-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(cp.Note)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Link, not rename: it fails instead of replacing a file that
		// appeared meanwhile.
		err = os.Link(tmp.Name(), final)
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s appeared while writing: %w", final, ErrConflict)
			if old, rerr := os.ReadFile(final); rerr == nil && bytes.Equal(old, cp.Note) {
				err = nil
			}
		} else if err != nil && runtime.GOOS == "windows" {
			err = os.Rename(tmp.Name(), final)
		}
	}
	os.Remove(tmp.Name())
	if err != nil {
		return err
	}
	return syncDir(d.Path)
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
