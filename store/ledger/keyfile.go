package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxKeyFile bounds what readKeyFile reads; key files are a few hundred
// bytes.
const maxKeyFile = 64 << 10

// readKeyFile reads a secret key file. A missing file gives an error
// wrapping ErrKeyMissing that tells the operator to restore it from backup
// and what is lost without it. On systems other than Windows, a file that
// group or others may access is refused.
func readKeyFile(path, what, consequence string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %s is missing: %w: restore it from backup; %s", what, path, ErrKeyMissing, consequence)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s is not a regular file", what, path)
	}
	if st.Size() > maxKeyFile {
		return nil, fmt.Errorf("%s %s is %d bytes, too large for a key file", what, path, st.Size())
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s may be accessed by others (mode %v): run chmod 600 %s", what, path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return b, nil
}

// writeKeyFile creates path with data and mode, failing if it exists
// (O_EXCL), creating missing parent directories with mode 0700. It syncs
// the file and its directory before returning. On failure it removes the
// file it created, so no partial key is left behind.
func writeKeyFile(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// syncDir makes a new directory entry in dir durable. Windows cannot sync
// a directory and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
