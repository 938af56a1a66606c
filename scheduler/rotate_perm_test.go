package scheduler

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestKeyPresenceErrors: that a key file cannot be looked for is an error,
// never taken for the trace of an interrupted rotation, and a permission
// error says it is one and what to do.
func TestKeyPresenceErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ledger.key")
	os.WriteFile(file, []byte("x"), 0o600)
	if found, err := present(filepath.Join(dir, "missing.next")); found || err != nil {
		t.Errorf("missing: %v, %v", found, err)
	}
	if found, err := present(file); !found || err != nil {
		t.Errorf("present: %v, %v", found, err)
	}
	// A path through a file: not there, and not knowable either.
	if found, err := present(filepath.Join(file, "ledger.key.next")); found || err == nil {
		t.Errorf("through a file: %v, %v", found, err)
	}
	denied := &fs.PathError{Op: "lstat", Path: "/var/lib/retentiond/keys/ledger.key.next", Err: fs.ErrPermission}
	err := notPermitted(denied, denied.Path)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "permission denied: retentiond runs as ") ||
		!strings.Contains(err.Error(), "chown -R ") || !strings.HasSuffix(err.Error(), " /var/lib/retentiond/keys") {
		t.Errorf("notPermitted: %v", err)
	}
	if other := errors.New("disk on fire"); notPermitted(other, "x") != other {
		t.Error("notPermitted changed an error that is not about permissions")
	}
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Log("root reads any directory: cmd's TestWrongUser runs the service as nobody instead")
		return
	}
	keys := filepath.Join(dir, "keys")
	os.Mkdir(keys, 0o700)
	os.Chmod(keys, 0)
	defer os.Chmod(keys, 0o700)
	if found, err := present(filepath.Join(keys, "ledger.key.next")); found || !errors.Is(err, fs.ErrPermission) || strings.Contains(err.Error(), "rotation") {
		t.Errorf("in an unreadable directory: %v, %v", found, err)
	}
}
