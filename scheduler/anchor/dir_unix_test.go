//go:build unix

package anchor

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// readOnlyDirEnv names, in the child process TestDirReadOnly starts when
// run as root, the read-only directory to send to.
const readOnlyDirEnv = "RETENTIOND_ANCHOR_TEST_READONLY_DIR"

// TestDirReadOnly sends to a directory the process may not write to. Root
// may write anywhere, so as root the test runs itself again as nobody.
func TestDirReadOnly(t *testing.T) {
	cp := testCheckpoint(t)
	if dir := os.Getenv(readOnlyDirEnv); dir != "" {
		err := Dir{Path: dir}.Send(context.Background(), cp)
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("a read-only directory: %v", err)
		}
		return
	}
	// Outside t.TempDir, whose parent only root may enter.
	base, err := os.MkdirTemp("", "anchor-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	ro := filepath.Join(base, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{base, ro} {
		if err := os.Chmod(p, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(base, 0o755); os.Chmod(ro, 0o755) })

	if os.Geteuid() != 0 {
		err := Dir{Path: ro}.Send(context.Background(), cp)
		if err == nil || !strings.Contains(err.Error(), ro) {
			t.Fatalf("a read-only directory: %v", err)
		}
	} else {
		runAsNobody(t, base, ro)
	}
	if names := dirNames(t, ro); len(names) != 0 {
		t.Fatalf("read-only directory holds %v", names)
	}
}

// runAsNobody runs TestDirReadOnly in a copy of the test binary as user
// and group 65534.
func runAsNobody(t *testing.T, base, ro string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	bin := filepath.Join(base, "anchor.test")
	copyFile(t, exe, bin)
	os.Chmod(base, 0o555)
	cmd := exec.Command(bin, "-test.run=^TestDirReadOnly$", "-test.count=1")
	cmd.Dir = base
	cmd.Env = append(os.Environ(), readOnlyDirEnv+"="+ro)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDirCancelledWhileHung sends to a directory whose checkpoint file is
// a FIFO, so that reading it blocks as a hung network mount would: Send
// returns when ctx is cancelled.
func TestDirCancelledWhileHung(t *testing.T) {
	cp := testCheckpoint(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, testFile)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Opening the FIFO for reading and writing never blocks, and lets the
	// blocked reader go at the end.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if err := (Dir{Path: dir}).Send(ctx, cp); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}
