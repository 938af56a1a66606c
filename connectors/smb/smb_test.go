package smb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	smb2 "github.com/cloudsoda/go-smb2"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/smb/smbtest"
)

var (
	server *smbtest.Server
	why    string // why no server runs, if none does
)

// TestMain starts smbd for the tests of this package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "retentiond-smbd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server, why = smbtest.Start(dir)
	code := m.Run()
	server.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needServer(t testing.TB) {
	t.Helper()
	smbtest.Need(t, why)
}

var folders atomic.Int64

// fresh returns a connector on a new, empty folder of the share and a
// fixture that arranges files in it on the local disk.
func fresh(t testing.TB) (*Conn, connectortest.DirFixture) {
	t.Helper()
	needServer(t)
	name := fmt.Sprintf("t%d", folders.Add(1))
	dir := filepath.Join(server.Dir, name)
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	c, err := Open(t.Context(), server.URL+"/"+name, server.Password, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, connectortest.DirFixture{Dir: dir}
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			return fresh(t)
		},
		Pruner:     true,
		Concurrent: true,
	})
}

func TestParseURL(t *testing.T) {
	good := map[string]Target{
		"smb://anna@nas/skole":                      {User: "anna", Host: "nas", Port: "445", Share: "skole"},
		"smb://KOMMUNE;anna@nas:4455/skole/A/B":     {User: "anna", Domain: "KOMMUNE", Host: "nas", Port: "4455", Share: "skole", Path: "A/B"},
		"smb://anna@10.0.0.5/skole/Administration/": {User: "anna", Host: "10.0.0.5", Port: "445", Share: "skole", Path: "Administration"},
	}
	for in, want := range good {
		got, err := ParseURL(in)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"smb://anna:secret@nas/skole": "password",
		"smb://nas/skole":             "names no user",
		"smb://anna@nas":              "names no share",
		"smb://anna@nas/skole/../x":   "'..'",
		"https://anna@nas/skole":      "not an smb:// URL",
	} {
		if _, err := ParseURL(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseURL(%q): %v, want an error with %q", in, err, msg)
		}
	}
}

func TestBadCredentialsAndMissingFolder(t *testing.T) {
	needServer(t)
	_, err := Open(t.Context(), server.URL, "wrong password", nil)
	if code := connectors.CodeOf(err); code != connectors.CodePermission {
		t.Errorf("wrong password: %v (code %v), want permission_denied", err, code)
	}
	if strings.Contains(fmt.Sprint(err), "wrong password") {
		t.Error("the error shows the password")
	}
	_, err = Open(t.Context(), server.URL+"/no-such-folder", server.Password, nil)
	if code := connectors.CodeOf(err); code != connectors.CodeNotFound {
		t.Errorf("missing folder: %v (code %v), want not_found", err, code)
	}
}

func TestReadOnlyFileIsDeleted(t *testing.T) {
	c, f := fresh(t)
	defer c.Close()
	f.Put(t, "ro/file.txt", []byte("x"), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	// The DOS read-only attribute, as Windows sets it.
	if err := c.do(t.Context(), func(s *smb2.Share) error { return s.Chmod(c.full("ro/file.txt"), 0o444) }); err != nil {
		t.Fatal(err)
	}
	it, err := c.Stat(t.Context(), "ro/file.txt")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: it.Ref, Version: it.Version}})
	if err != nil || rs[0].Outcome != connectors.OutcomeDeleted {
		t.Fatalf("delete read-only: %+v, %v", rs, err)
	}
	if f.Exists(t, "ro/file.txt") {
		t.Error("the read-only file is still there")
	}
}

func TestShareGoneMidRunIsNotEmpty(t *testing.T) {
	c, f := fresh(t)
	defer c.Close()
	f.Put(t, "a/b.txt", []byte("x"), time.Now())
	// The folder disappears on the server: the listing fails, it is never
	// an empty share.
	if err := os.RemoveAll(f.Dir); err != nil {
		t.Fatal(err)
	}
	err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error { return nil })
	var inc *connectors.IncompleteError
	if err == nil || errors.As(err, &inc) {
		t.Fatalf("listing a vanished folder: %v, want an error", err)
	}
}

// TestConnectionLossIsRetried: smbd restarts between two requests (every
// connection drops); the next request reconnects and succeeds.
func TestConnectionLossIsRetried(t *testing.T) {
	c, f := fresh(t)
	defer c.Close()
	f.Put(t, "a.txt", []byte("x"), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	before, err := c.Stat(t.Context(), "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	server.Restart(t)
	after, err := c.Stat(t.Context(), "a.txt")
	if err != nil {
		t.Fatalf("Stat after the server restarted: %v", err)
	}
	if after.Version != before.Version {
		t.Errorf("version %q after reconnecting, was %q", after.Version, before.Version)
	}
	var n int
	if err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("List after reconnecting: %d items, %v", n, err)
	}
}
