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
	"syscall"
)

// DirConfig configures a directory target.
type DirConfig struct {
	// Path is the directory the checkpoints are written to, e.g. a share
	// the DPO owns mounted at /mnt/dpo/anchors. It must be absolute and
	// must exist: retentiond does not create it.
	Path string `yaml:"path"`
}

// Validate checks the settings without touching the file system. Each
// error starts with the setting's yaml name.
func (c DirConfig) Validate() error {
	switch {
	case c.Path == "":
		return errors.New("path: missing: name the directory (e.g. a share the DPO owns) to write checkpoints to")
	case !filepath.IsAbs(c.Path):
		return fmt.Errorf("path: %q is relative: give an absolute path", c.Path)
	}
	return nil
}

// NewDir validates c and checks that its directory exists.
func NewDir(c DirConfig) (Dir, error) {
	if err := c.Validate(); err != nil {
		return Dir{}, err
	}
	if err := checkDir(c.Path); err != nil {
		return Dir{}, err
	}
	return Dir{Path: c.Path}, nil
}

// Dir writes each checkpoint to its own file, named by FileName, in a
// directory that must exist.
//
// The file appears atomically and durably: the note is written to a
// temporary file in the same directory, synced, then linked (or, where the
// file system has no hard links, renamed) to its name, and the directory
// is synced (except on Windows, which cannot sync a directory). A file
// already there for the same origin and size is never replaced: if it
// holds the same checkpoint (the same origin, size and root hash), Send
// succeeds; if not, Send returns an error wrapping ErrConflict that names
// both root hashes.
type Dir struct {
	Path string
}

var _ Target = Dir{}

// Name implements Target.
func (d Dir) Name() string { return "dir:" + d.Path }

// Send implements Target. A call into a hung network file system cannot
// be interrupted: when ctx is done first, Send returns ctx's error and
// leaves that call to finish (or not) on its own; a checkpoint it writes
// after all is found identical at the next Send.
func (d Dir) Send(ctx context.Context, cp Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write checkpoint to %s: %w", d.Path, err)
	}
	if err := cp.check(); err != nil {
		return err
	}
	cp.Note = bytes.Clone(cp.Note) // the caller may reuse it once Send returns
	done := make(chan error, 1)
	go func() { done <- d.send(cp) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("write checkpoint to %s: %w (the file system did not answer in time)", d.Path, context.Cause(ctx))
	}
}

func (d Dir) send(cp Checkpoint) error {
	if err := checkDir(d.Path); err != nil {
		return err
	}
	final := filepath.Join(d.Path, FileName(cp.Origin, cp.N))
	if done, err := d.existing(final, cp); done {
		return err
	}
	tmp, err := d.writeTemp(cp.Note)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // after a link or a failure; gone after a rename
	// A link fails rather than replace a file that appeared meanwhile
	// (another process anchoring the same size); rename would replace it.
	if err := os.Link(tmp, final); errors.Is(err, fs.ErrExist) {
		done, err := d.existing(final, cp)
		switch {
		case !done:
			return fmt.Errorf("link checkpoint to %s: it appeared and vanished meanwhile", final)
		case err != nil:
			return err
		}
		// Written meanwhile by another Send, which may not have synced
		// the directory yet.
	} else if err != nil {
		// No hard links on this file system (some SMB mounts, FAT):
		// rename, after looking once more.
		if done, err := d.existing(final, cp); done {
			return err
		}
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("rename checkpoint to %s: %w", final, err)
		}
	}
	return syncDir(d.Path)
}

// existing compares the file at final, if any, with cp. done is false if
// there is no such file; otherwise err is nil if it holds the same
// checkpoint.
func (d Dir) existing(final string, cp Checkpoint) (done bool, err error) {
	old, err := os.ReadFile(final)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return true, fmt.Errorf("read anchored checkpoint: %w", err)
	case bytes.Equal(old, cp.Note):
		return true, nil
	}
	oldID, oldOK := history(old)
	newID, newOK := history(cp.Note)
	if oldOK && newOK && oldID == newID {
		// The same origin, size and root hash, signed differently (e.g.
		// with another signature added): the same history, which the
		// file already anchors.
		return true, nil
	}
	return true, fmt.Errorf("anchor directory %s: %s holds %s, the checkpoint being anchored has %s: %w: "+
		"two histories of the ledger were signed; verify the ledger against it: retentiond ledger verify --anchor %s",
		d.Path, final, describe(old), describe(cp.Note), ErrConflict, final)
}

// history returns what identifies the history a signed note commits to:
// its first three lines (origin, size, root hash).
func history(note []byte) (string, bool) {
	text, _, _ := bytes.Cut(note, []byte("\n\n"))
	lines := bytes.SplitN(text, []byte("\n"), 4)
	if len(lines) < 3 {
		return "", false
	}
	return string(bytes.Join(lines[:3], []byte("\n"))), true
}

// describe names a note in an error: by its root hash line.
func describe(note []byte) string {
	id, ok := history(note)
	if !ok {
		return fmt.Sprintf("%d bytes that are not a checkpoint note", len(note))
	}
	lines := bytes.Split([]byte(id), []byte("\n"))
	return fmt.Sprintf("root hash %q", lines[2])
}

// writeTemp writes note to a new file beside the final one, synced and
// closed, readable by the directory's owner (the DPO) too.
func (d Dir) writeTemp(note []byte) (string, error) {
	f, err := os.CreateTemp(d.Path, ".anchor-*.tmp")
	if err != nil {
		return "", fmt.Errorf("create file in anchor directory: %w", err)
	}
	_, err = f.Write(note)
	if err == nil && runtime.GOOS != "windows" {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write checkpoint to %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// checkDir fails unless dir is an existing directory.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("anchor directory %s does not exist: create it (e.g. a share the DPO owns) or mount it; retentiond does not create it: %w", dir, err)
	}
	if err != nil {
		return fmt.Errorf("anchor directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("anchor directory %s is not a directory", dir)
	}
	return nil
}

// syncDir makes a new name in dir durable. Windows cannot open a
// directory to sync it; some network and FUSE file systems refuse to sync
// one (EINVAL, ENOTSUP), which leaves the name as durable as they make it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open anchor directory to sync it: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync anchor directory %s: %w", dir, err)
	}
	return nil
}
