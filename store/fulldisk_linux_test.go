package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/testtool"
)

// TestReadOnAFullDisk: what was recorded can be read on a disk that is
// full. SQLite needs its -shm file even to read a WAL database; it is kept
// between connections (driverName), so reading works where it used to fail
// with "disk I/O error (4874)" (bench/chaos, attack disk-full). The test
// mounts a 1 MiB tmpfs in a private user and mount namespace (unshare, no
// root needed), records, closes, fills the disk, and reads again. After a
// clean close the -wal file is empty.
func TestReadOnAFullDisk(t *testing.T) {
	if dir := os.Getenv("RETENTIOND_FULL_DISK_DIR"); dir != "" {
		onFullDisk(t, dir)
		return
	}
	unshare := testtool.Require(t, "unshare", "util-linux")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(unshare, "--user", "--map-root-user", "--mount", self, "-test.run=^TestReadOnAFullDisk$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "RETENTIOND_FULL_DISK_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "unshare failed") {
		// A container that forbids user namespaces cannot mount a tmpfs.
		t.Skipf("skipped: this machine does not allow a user namespace: %s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("on a full disk: %v\n%s", err, out)
	}
}

// onFullDisk runs in the namespace: a small tmpfs on dir, a database
// recorded on it, the disk filled, the database read.
func onFullDisk(t *testing.T, dir string) {
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("skipped: no tmpfs in the namespace: %v", err)
	}
	defer syscall.Unmount(dir, 0)
	ctx := context.Background()
	file := filepath.Join(dir, "r.db")
	s, err := Open(ctx, file, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddWebLink(ctx, WebLink{Hash: "h", Person: "anna", CreatedAt: Time{time.Unix(0, 0)}, ExpiresAt: Time{time.Unix(60, 0)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file + "-wal"); err == nil && fi.Size() != 0 {
		t.Fatalf("the -wal file holds %d bytes after a clean close", fi.Size())
	}
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.Repeat([]byte{0xa5}, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	s, err = Open(ctx, file, Options{})
	if err != nil {
		t.Fatalf("open on the full disk: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.r.Get(&n, "SELECT count(*) FROM web_link"); err != nil || n != 1 {
		t.Fatalf("read %d links on the full disk: %v", n, err)
	}
}
