package fileshare

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/smb/smbtest"
)

func TestSMBRootOptions(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Root: "smb://anna:pw@nas/skole", PasswordEnv: "P"}, "password_file or password_env instead"},
		{Options{Root: "smb://anna@nas/skole"}, "exactly one of password_file and password_env"},
		{Options{Root: "smb://anna@nas/skole", PasswordEnv: "P", PasswordFile: "f"}, "exactly one of"},
		{Options{Root: "/srv/share", PasswordEnv: "P"}, "for smb:// roots only"},
	} {
		if err := c.o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}

// TestSMBRootThroughTheKind opens an smb:// root as the configuration
// does, with the password in a file, against a real Samba server.
func TestSMBRootThroughTheKind(t *testing.T) {
	srv, why := smbtest.Start(t.TempDir())
	smbtest.Need(t, why)
	defer srv.Stop()
	base := t.TempDir()
	os.WriteFile(filepath.Join(base, "smb.secret"), []byte(srv.Password+"\n"), 0o600)
	f := fixture{Dir: filepath.Join(srv.Dir, "Administration")}
	f.Put(t, "Udmeldte elever/1003/plan.docx", []byte("x"), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	c, err := Kind().Open(t.Context(), connectors.Env{BaseDir: base}, &Options{Root: srv.URL + "/Administration", PasswordFile: "smb.secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if strings.Contains(c.Location(), srv.Password) || !strings.HasPrefix(c.Location(), "smb://") {
		t.Errorf("location %q", c.Location())
	}
	var items []connectors.Item
	err = c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil || len(items) != 1 || items[0].Ref != "Udmeldte elever/1003/plan.docx" {
		t.Fatalf("listed %v, %v", items, err)
	}
	t.Setenv("RD_SMB_PW", "wrong")
	if _, err := Kind().Open(t.Context(), connectors.Env{BaseDir: base}, &Options{Root: srv.URL, PasswordEnv: "RD_SMB_PW"}); connectors.CodeOf(err) != connectors.CodePermission {
		t.Errorf("wrong password from the environment: %v", err)
	}
}
