package systemd

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors/fileshare"
	"github.com/retentiond/retentiond/store/testtool"
)

// TestUnitDoesNotHideOwners: owner notices tell each file's owner, whom
// the file-share connector reads from the file's uid. PrivateUsers=yes
// gives the service a user namespace in which only root and its own user
// exist: every other uid (each teacher's, each domain account's) reads as
// 65534, "nobody", so every notice would go to the operators instead. The
// unit must not set it (TestPrivateUsersHidesOwners shows the mapping).
// PrivateUsers=identity is no way out either: it maps only uids below
// 65536, and domain accounts (sssd, winbind) have larger ones.
func TestUnitDoesNotHideOwners(t *testing.T) {
	f, err := os.Open("retentiond.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.TrimSpace(key) != "PrivateUsers" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(val)) {
		case "", "no", "false", "off", "0":
		default:
			t.Errorf("retentiond.service:%d: PrivateUsers=%s hides who owns the files on the share: owner notices would all go to the operators", n, val)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestPrivateUsersHidesOwners looks up a file's owner as the service does,
// once as the unit runs it (in the host's user namespace) and once in a
// user namespace that maps only the caller, as PrivateUsers=yes does
// (unshare --user --map-root-user). The first names the owner; the second
// sees uid 65534 and names "nobody".
func TestPrivateUsersHidesOwners(t *testing.T) {
	if ref := os.Getenv("RETENTIOND_OWNER_OF"); ref != "" {
		// The child, inside the namespace: report what the connector sees.
		c, err := fileshare.Open(filepath.Dir(ref), zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		owner, err := c.Owner(context.Background(), filepath.Base(ref))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("owner=%q\n", owner)
		return
	}
	if os.Geteuid() != 0 {
		testtool.Unavailable(t, "giving a file to another account needs root")
	}
	unshare := testtool.Require(t, "unshare", "util-linux")
	var other *user.User
	for _, name := range []string{"daemon", "bin", "sys", "mail"} {
		if u, err := user.Lookup(name); err == nil && u.Uid != "0" && u.Uid != "65534" {
			other = u
			break
		}
	}
	if other == nil {
		testtool.Unavailable(t, "no account other than root and nobody can own the file (daemon, bin, sys, mail)")
	}
	uid, _ := strconv.Atoi(other.Uid)
	dir := t.TempDir()
	file := filepath.Join(dir, "elevplan.docx")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(file, uid, -1); err != nil {
		t.Fatal(err)
	}

	c, err := fileshare.Open(dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := c.Owner(context.Background(), "elevplan.docx"); err != nil || got != other.Username {
		t.Fatalf("as the unit runs it: owner %q, %v; want %q", got, err, other.Username)
	}

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(unshare, "--user", "--map-root-user", self, "-test.run=^TestPrivateUsersHidesOwners$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RETENTIOND_OWNER_OF="+file)
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "unshare failed") {
		// A container that forbids user namespaces cannot show it.
		t.Skipf("skipped: this machine does not allow a user namespace: %s", out)
	}
	if err != nil {
		t.Fatalf("in a private user namespace: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `owner="nobody"`) {
		t.Fatalf("in a private user namespace the owner should read as nobody (uid 65534):\n%s", out)
	}
}
