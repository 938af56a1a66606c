// Package smbtest starts a real Samba server (smbd) on a loopback port for
// tests: a throwaway configuration, a test user and one share, served from
// a folder the test can also arrange files in directly. Starting it needs
// root (to create the user) and the Debian package samba.
package smbtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is a running smbd.
type Server struct {
	URL      string // smb://user@127.0.0.1:port/share
	Dir      string // the share's folder on the local disk
	Password string
	proc     *exec.Cmd
	smbd     string
	conf     string
	port     int
}

const testUser = "rdsmbtest"

// Stop stops smbd.
func (srv *Server) Stop() {
	if srv != nil && srv.proc != nil {
		srv.proc.Process.Kill()
		srv.proc.Wait()
		srv.proc = nil
	}
}

// Need skips t with why, or fails it when RETENTIOND_REQUIRE_SMBD is set
// (CI, where the SMB tests must run).
func Need(t testing.TB, why string) {
	t.Helper()
	if why == "" {
		return
	}
	if os.Getenv("RETENTIOND_REQUIRE_SMBD") != "" {
		t.Fatalf("no Samba server for the SMB tests: %s", why)
	}
	t.Skipf("no Samba server for the SMB tests: %s", why)
}

// Start starts smbd with a throwaway configuration, user and share below
// dir. It returns why it could not, e.g. that smbd is not installed.
func Start(dir string) (*Server, string) {
	s := &Server{}
	why := s.start(dir)
	if why != "" {
		s.Stop()
		return nil, why
	}
	return s, ""
}

func (srv *Server) start(dir string) string {
	smbd, err := exec.LookPath("smbd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/smbd"); serr != nil {
			return "smbd is not installed (apt-get install samba)"
		}
		smbd = "/usr/sbin/smbd"
	}
	if os.Getuid() != 0 {
		return "smbd needs root here to create its test user"
	}
	if _, err := user.Lookup(testUser); err != nil {
		if out, err := exec.Command(tool("useradd"), "-M", "-s", "/usr/sbin/nologin", testUser).CombinedOutput(); err != nil {
			return fmt.Sprintf("cannot create the test user: %v: %s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Sprintf("no free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	share := filepath.Join(dir, "share")
	for _, d := range []string{"run", "lock", "state", "cache", "private", "ncalrpc", "share"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err.Error()
		}
	}
	conf := filepath.Join(dir, "smb.conf")
	text := fmt.Sprintf(`[global]
  workgroup = TEST
  server role = standalone server
  smb ports = %d
  interfaces = 127.0.0.1
  bind interfaces only = yes
  pid directory = %[2]s/run
  lock directory = %[2]s/lock
  state directory = %[2]s/state
  cache directory = %[2]s/cache
  private dir = %[2]s/private
  ncalrpc dir = %[2]s/ncalrpc
  log file = %[2]s/log.%%m
  passdb backend = tdbsam:%[2]s/private/passdb.tdb
  server min protocol = SMB2_02
  server signing = mandatory
  smb encrypt = desired
  disable spoolss = yes
  load printers = no
  printcap name = /dev/null
  map to guest = never
  wide links = no
  unix extensions = no
[share]
  path = %[3]s
  read only = no
  admin users = %[4]s
  store dos attributes = yes
`, port, dir, share, testUser)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return err.Error()
	}
	srv.Password = "Test-" + fmt.Sprint(time.Now().UnixNano())
	cmd := exec.Command(tool("smbpasswd"), "-c", conf, "-a", "-s", testUser)
	cmd.Stdin = strings.NewReader(srv.Password + "\n" + srv.Password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Sprintf("smbpasswd: %v: %s", err, out)
	}
	srv.smbd, srv.conf, srv.port = smbd, conf, port
	srv.URL = fmt.Sprintf("smb://%s@127.0.0.1:%d/share", testUser, port)
	srv.Dir = share
	return srv.run()
}

// run starts smbd and waits until it listens.
func (srv *Server) run() string {
	proc := exec.Command(srv.smbd, "--foreground", "--no-process-group", "-s", srv.conf)
	proc.Stdout, proc.Stderr = os.Stderr, os.Stderr
	if err := proc.Start(); err != nil {
		return fmt.Sprintf("start smbd: %v", err)
	}
	srv.proc = proc
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", srv.port)); err == nil {
			c.Close()
			return ""
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "smbd did not start listening"
}

// Restart stops smbd and starts it again: every connection drops.
func (srv *Server) Restart(t testing.TB) {
	t.Helper()
	srv.Stop()
	if why := srv.run(); why != "" {
		t.Fatal(why)
	}
}

// tool finds a system tool in PATH or, where root's PATH may lack them,
// in /usr/sbin and /usr/bin.
func tool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	return name
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
