//go:build linux

// Package deb holds the Debian package; its tests build it, read it back
// and, where allowed, install it on this machine.
package deb

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/fileshare"
	"github.com/retentiond/retentiond/store/testtool"
)

var (
	buildOnce sync.Once
	debFile   string
	buildErr  error
)

// build builds the package once for all tests.
func build(t *testing.T) string {
	t.Helper()
	testtool.Require(t, "dpkg-deb", "dpkg") // the .deb is built on Debian and Ubuntu
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "retentiond-deb-")
		if err != nil {
			buildErr = err
			return
		}
		out, err := exec.Command("bash", "build.sh", dir).CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("build.sh:\n%s", out)
			return
		}
		debFile = strings.TrimSpace(string(out[bytes.LastIndexByte(bytes.TrimSpace(out), '\n')+1:]))
	})
	if buildErr != nil {
		t.Fatalf("build.sh: %v", buildErr)
	}
	return debFile
}

func TestMain(m *testing.M) {
	code := m.Run()
	if debFile != "" {
		os.RemoveAll(filepath.Dir(debFile))
	}
	os.Exit(code)
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPackageContents reads the package back: its control data, who owns
// what with which mode, and a starting configuration that loads.
func TestPackageContents(t *testing.T) {
	deb := build(t)
	if v := output(t, "dpkg-deb", "-f", deb, "Version"); !strings.HasPrefix(v, "0.1.") || !strings.Contains(v, "+g") {
		t.Errorf("Version %q", v)
	}
	if d := output(t, "dpkg-deb", "-f", deb, "Depends"); strings.TrimSpace(d) != "adduser, libc6" {
		t.Errorf("Depends %q", d)
	}
	contents := output(t, "dpkg-deb", "--contents", deb)
	for _, want := range []string{
		"-rwxr-xr-x root/root .* ./usr/bin/retentiond",
		"-rw-r--r-- root/root .* ./lib/systemd/system/retentiond.service",
		"-rw-r----- root/root .* ./etc/retentiond/retentiond.yaml",
		"-rw-r--r-- root/root .* ./usr/share/retentiond/policies/students.yaml",
		"-rw-r--r-- root/root .* ./usr/share/doc/retentiond/copyright",
	} {
		parts := strings.SplitN(want, " .* ", 2)
		found := false
		for _, line := range strings.Split(contents, "\n") {
			if strings.HasPrefix(line, parts[0]) && strings.HasSuffix(line, parts[1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("the package lacks %s:\n%s", want, contents)
		}
	}
	if strings.Contains(contents, "/var/lib/retentiond") {
		t.Error("the package ships /var/lib/retentiond: postinst makes it, so that removing the package never touches the ledger")
	}

	x := t.TempDir()
	output(t, "dpkg-deb", "-x", deb, x)
	ctl := t.TempDir()
	output(t, "dpkg-deb", "-e", deb, ctl)
	if c, _ := os.ReadFile(filepath.Join(ctl, "conffiles")); string(c) != "/etc/retentiond/retentiond.yaml\n" {
		t.Errorf("conffiles %q", c)
	}
	unit, _ := os.ReadFile(filepath.Join(x, "lib/systemd/system/retentiond.service"))
	orig, _ := os.ReadFile("../systemd/retentiond.service")
	if !bytes.Equal(unit, orig) {
		t.Error("the packaged unit differs from deploy/systemd/retentiond.service")
	}
	policies, _ := filepath.Glob("../../configs/policies/*.yaml")
	for _, p := range policies {
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(x, "usr/share/retentiond/policies", filepath.Base(p)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("policy %s is not packaged as it is (%v)", filepath.Base(p), err)
		}
	}
	if v := output(t, filepath.Join(x, "usr/bin/retentiond"), "version"); !strings.HasPrefix(v, "retentiond 0.1.") {
		t.Errorf("the packaged binary says %q", v)
	}

	// The starting configuration loads, with its absolute paths moved
	// into the extracted tree.
	cfg, _ := os.ReadFile(filepath.Join(x, "etc/retentiond/retentiond.yaml"))
	moved := strings.ReplaceAll(string(cfg), "/usr/share/retentiond/", filepath.Join(x, "usr/share/retentiond")+"/")
	moved = strings.ReplaceAll(moved, "/var/lib/retentiond/", t.TempDir()+"/")
	file := filepath.Join(x, "etc/retentiond/retentiond.yaml")
	os.WriteFile(file, []byte(moved), 0o640)
	if _, err := configs.Load(file, connectors.NewRegistry(fileshare.Kind())); err != nil {
		t.Errorf("the starting configuration does not load: %v", err)
	}
}

// TestInstall installs the package on this machine as an administrator
// would, runs the service as systemd would (its user, its configuration,
// a notify socket), upgrades, removes and purges it. It changes the
// machine, so it runs only when asked (CI does).
func TestInstall(t *testing.T) {
	if os.Getenv("RETENTIOND_INSTALL_DEB") == "" || os.Geteuid() != 0 {
		t.Skip("installs the package on this machine: run as root with RETENTIOND_INSTALL_DEB=1 (CI does)")
	}
	if exec.Command("dpkg-query", "-W", "retentiond").Run() == nil {
		t.Fatal("retentiond is already installed here: this test would change a real installation")
	}
	deb := build(t)
	t.Cleanup(func() {
		exec.Command("dpkg", "--purge", "retentiond").Run()
		exec.Command("userdel", "retentiond").Run()
		exec.Command("groupdel", "retentiond").Run()
		os.RemoveAll("/var/lib/retentiond")
	})
	out := output(t, "dpkg", "-i", deb)
	if !strings.Contains(out, "edit /etc/retentiond/retentiond.yaml") {
		t.Errorf("dpkg -i says:\n%s", out)
	}
	pw := strings.Split(strings.TrimSpace(output(t, "getent", "passwd", "retentiond")), ":")
	uid, _ := strconv.Atoi(pw[2])
	if uid >= 1000 || pw[5] != "/var/lib/retentiond" || pw[6] != "/usr/sbin/nologin" {
		t.Errorf("the service user: %q", pw)
	}
	checkMode := func(path string, mode os.FileMode, owner, group int) {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		if st.Mode().Perm() != mode || int(sys.Uid) != owner || int(sys.Gid) != group {
			t.Errorf("%s: %v %d:%d, want %v %d:%d", path, st.Mode().Perm(), sys.Uid, sys.Gid, mode, owner, group)
		}
	}
	gid, _ := strconv.Atoi(pw[3])
	checkMode("/var/lib/retentiond", 0o700, uid, gid)
	checkMode("/etc/retentiond", 0o750, 0, gid)
	checkMode("/etc/retentiond/retentiond.yaml", 0o640, 0, gid)
	if _, ok := testtool.Optional(t, "systemd-analyze", "systemd"); ok {
		output(t, "systemd-analyze", "verify", "/lib/systemd/system/retentiond.service")
	}

	// The service, as systemd starts it: its ExecStart as its user (set
	// directly, as systemd does, so that signals reach it), with a notify
	// socket. (systemd is not PID 1 in this container, so
	// `systemctl start` itself cannot run here.)
	// t.TempDir's parent is private to root; the socket must be
	// reachable by the service user.
	sockDir, err := os.MkdirTemp("", "retentiond-notify-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	os.Chmod(sockDir, 0o755)
	sock := filepath.Join(sockDir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	os.Chmod(sock, 0o666)
	asService := func(args ...string) *exec.Cmd {
		cmd := exec.Command("/usr/bin/retentiond", args...)
		cmd.Env = []string{"NOTIFY_SOCKET=" + sock, "PATH=/usr/bin:/bin"}
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
		return cmd
	}
	svc := asService("run", "--config", "/etc/retentiond/retentiond.yaml")
	var log bytes.Buffer
	svc.Stdout, svc.Stderr = &log, &log
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	next := func() string {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		if err != nil {
			svc.Process.Kill()
			svc.Wait()
			t.Fatalf("no notification from the service: %v\n%s", err, log.String())
		}
		return string(buf[:n])
	}
	if msg := next(); !strings.HasPrefix(msg, "READY=1") {
		t.Fatalf("first notification %q", msg)
	}
	svc.Process.Signal(syscall.SIGTERM)
	if msg := next(); msg != "STOPPING=1" {
		t.Errorf("after SIGTERM: %q", msg)
	}
	exited := make(chan error, 1)
	go func() { exited <- svc.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the service exited with %v:\n%s", err, log.String())
		}
	case <-time.After(60 * time.Second):
		svc.Process.Kill()
		<-exited
		t.Fatalf("the service did not stop within 60 s of SIGTERM:\n%s", log.String())
	}
	for _, f := range []string{"/var/lib/retentiond/retentiond.db", "/var/lib/retentiond/keys/ledger.key"} {
		st, err := os.Stat(f)
		if err != nil || int(st.Sys().(*syscall.Stat_t).Uid) != uid {
			t.Errorf("%s: %v (want it made by the service user)", f, err)
		}
	}
	if out, err := asService("ledger", "verify", "--config", "/etc/retentiond/retentiond.yaml").CombinedOutput(); err != nil {
		t.Errorf("ledger verify as the service user: %v\n%s", err, out)
	}

	// Upgrade: the administrator's configuration and the data stay.
	f, _ := os.OpenFile("/etc/retentiond/retentiond.yaml", os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("# changed by the administrator\n")
	f.Close()
	output(t, "dpkg", "-i", deb)
	if c, _ := os.ReadFile("/etc/retentiond/retentiond.yaml"); !bytes.Contains(c, []byte("# changed by the administrator")) {
		t.Error("an upgrade replaced the administrator's configuration")
	}

	// Remove keeps configuration and data; purge keeps the data.
	output(t, "dpkg", "-r", "retentiond")
	if _, err := os.Stat("/usr/bin/retentiond"); err == nil {
		t.Error("dpkg -r left the binary")
	}
	if _, err := os.Stat("/etc/retentiond/retentiond.yaml"); err != nil {
		t.Errorf("dpkg -r removed the configuration: %v", err)
	}
	out = output(t, "dpkg", "-P", "retentiond")
	if _, err := os.Stat("/etc/retentiond"); err == nil {
		t.Error("dpkg -P left /etc/retentiond")
	}
	if _, err := os.Stat("/var/lib/retentiond/keys/ledger.key"); err != nil || !strings.Contains(out, "is kept") {
		t.Errorf("dpkg -P and the ledger: %v\n%s", err, out)
	}
}
