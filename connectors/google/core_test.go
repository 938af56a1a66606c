package google

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/api/gmail/v1"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/google/googletest"
)

const coreAdmin = "admin@skole.test"

// coreFake starts a fake with the admin and the given users (in "/"),
// and returns options for a source of those users that manages Drive
// only (so that nothing but the core is needed to open it).
func coreFake(t testing.TB, users ...string) (*googletest.Server, Options) {
	t.Helper()
	srv := googletest.New()
	t.Cleanup(srv.Close)
	srv.AddUser(googletest.User{Email: coreAdmin})
	for _, u := range users {
		srv.AddUser(googletest.User{Email: u})
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.json")
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(keyFile, srv.Key(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, srv.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	no := false
	return srv, Options{KeyFile: keyFile, CAFile: caFile, Admin: coreAdmin, Users: users, Gmail: &no, APIURL: srv.URL}
}

// fakeClock is a clock that sleeping advances: waits are recorded, not
// spent.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.t = f.t.Add(d)
	return nil
}

func (f *fakeClock) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sleeps)
}

// openCore opens a connector on the fake with a fake clock for pacing
// and retries.
func openCore(t testing.TB, o Options) (*Connector, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Now()}
	c, err := Open(t.Context(), connectors.Env{Source: "google", Logger: zaptest.NewLogger(t), Now: clk.now}, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	c.sleep, c.paceNow = clk.sleep, clk.now
	t.Cleanup(func() { c.Close() })
	return c, clk
}

func TestOptionsValidate(t *testing.T) {
	yes, no := true, false
	good := Options{KeyFile: "k.json", Admin: "admin@skole.dk", OrgUnit: "/Elever"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good options: %v", err)
	}
	for _, tc := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.KeyFile = "" }, "key_file or key_credential is required"},
		{func(o *Options) { o.KeyCredential = "google" }, "one of key_file and key_credential, not both"},
		{func(o *Options) { o.KeyFile, o.KeyCredential = "", "../key" }, "key_credential \"../key\" must be a plain name"},
		{func(o *Options) { o.Admin = "" }, "admin is required"},
		{func(o *Options) { o.Admin = "admin" }, "admin \"admin\" is not an email address"},
		{func(o *Options) { o.Domains = []string{"skole dk"} }, "domains[0] \"skole dk\" is not a domain name"},
		{func(o *Options) { o.OrgUnit = "" }, "exactly one scope: users, org_unit or group (found 0)"},
		{func(o *Options) { o.Group = "elever@skole.dk" }, "exactly one scope: users, org_unit or group (found 2)"},
		{func(o *Options) { o.OrgUnit = "Elever" }, "org_unit \"Elever\" is not an organisational unit path"},
		{func(o *Options) { o.OrgUnit = "/Elever/" }, "org_unit \"/Elever/\""},
		{func(o *Options) { o.OrgUnit = "/Ele'ver" }, "org_unit \"/Ele'ver\""},
		{func(o *Options) { o.OrgUnit, o.Group = "", "elever" }, "group \"elever\" is not a group's email address"},
		{func(o *Options) { o.OrgUnit, o.Users = "", []string{"a@skole.dk", "A@skole.dk"} }, "users[1] \"A@skole.dk\" is listed twice"},
		{func(o *Options) { o.OrgUnit, o.Users = "", []string{"a/b@skole.dk"} }, "users[0] \"a/b@skole.dk\" is not an email address"},
		{func(o *Options) { o.OrgUnit, o.Users, o.Exclude = "", []string{"a@skole.dk"}, []string{"b@skole.dk"} }, "exclude applies to org_unit and group scopes"},
		{func(o *Options) { o.Exclude = []string{"nobody"} }, "exclude[0] \"nobody\" is not an email address"},
		{func(o *Options) { o.Gmail, o.Drive = &no, &no }, "gmail and drive are both false"},
		{func(o *Options) { o.SharedDrives = []string{"0Ab/c"} }, "shared_drives[0] \"0Ab/c\" is not a shared drive id"},
		{func(o *Options) { o.SharedDrives = []string{"0Abc", "0Abc"} }, "shared_drives[1] \"0Abc\" is listed twice"},
		{func(o *Options) { o.SharedDrivesAs = "x@skole.dk" }, "shared_drives_as is set but no shared_drives"},
		{func(o *Options) { o.Vault = "both" }, "vault \"both\": give api"},
		{func(o *Options) { o.Vault, o.VaultHolds = "api", []string{"a@skole.dk"} }, "vault_holds is for vault: list"},
		{func(o *Options) { o.VaultHolds = []string{"a b"} }, "vault_holds[0] \"a b\" is neither an email address nor a shared drive id"},
		{func(o *Options) { o.UserUnitsPerSecond = 251 }, "user_units_per_second 251: give 1 to 250"},
		{func(o *Options) { o.ParallelUsers = 65 }, "parallel_users 65: give 1 to 64"},
		{func(o *Options) { o.DriveRequestsPerMinute = -1 }, "drive_requests_per_minute -1: give 1 to 1000000"},
		{func(o *Options) { o.PageSize = 501 }, "page_size 501: give 1 to 500"},
		{func(o *Options) { o.Timeout = -time.Second }, "timeout -1s must not be negative"},
		{func(o *Options) { o.Timeout = time.Millisecond }, "timeout 1ms is too short"},
		{func(o *Options) { o.APIURL = "http://fake" }, "api_url \"http://fake\" must be an https URL"},
		{func(o *Options) { o.Keywords = []string{" "} }, "keywords[0] is empty"},
		{func(o *Options) { o.Labels = []string{""} }, "labels[0] is empty"},
	} {
		o := good
		o.Gmail, o.Drive = &yes, &yes
		tc.edit(&o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", o, err, tc.want)
		}
	}
	d := good.withDefaults()
	if !*d.Gmail || !*d.Drive || d.Vault != "list" || d.PageSize != 500 || d.ParallelUsers != 8 || d.UserUnitsPerSecond != 250 ||
		d.Timeout != time.Minute || d.DriveRequestsPerMinute != 12000 || !slices.Equal(d.Domains, []string{"skole.dk"}) || d.SharedDrivesAs != "admin@skole.dk" {
		t.Errorf("defaults: %+v", d)
	}
}

// TestOpenChecksCredentials: Open gets a token as the admin with every
// scope the source needs, and says what is wrong when it cannot.
func TestOpenChecksCredentials(t *testing.T) {
	open := func(o Options) error {
		_, err := Open(t.Context(), connectors.Env{Logger: zaptest.NewLogger(t)}, o)
		return err
	}
	writeKey := func(t *testing.T, key []byte) string {
		p := filepath.Join(t.TempDir(), "key.json")
		if err := os.WriteFile(p, key, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("good", func(t *testing.T) {
		srv, o := coreFake(t, "anna@skole.test")
		if err := open(o); err != nil {
			t.Fatal(err)
		}
		if n := srv.Stats().TokenRequests; n != 1 {
			t.Errorf("%d token requests, want 1", n)
		}
		if n := srv.Stats().Requests; n != 1 {
			t.Errorf("Open sent %d requests, want only the token's", n)
		}
	})
	for _, tc := range []struct {
		name string
		edit func(*googletest.Server, *Options, *testing.T)
		code connectors.Code
		want []string
	}{
		{"stale key", func(s *googletest.Server, o *Options, t *testing.T) { o.KeyFile = writeKey(t, s.StaleKey()) },
			connectors.CodePermission, []string{"invalid_grant", "the key was refused"}},
		{"unknown service account", func(s *googletest.Server, o *Options, t *testing.T) { o.KeyFile = writeKey(t, s.ForeignKey()) },
			connectors.CodePermission, []string{"invalid_grant", "service account of the key does not exist"}},
		{"scope not granted", func(s *googletest.Server, o *Options, t *testing.T) {
			s.Grant(googletest.ScopeUsers, googletest.ScopeMembers)
		}, connectors.CodePermission, []string{"unauthorized_client", "Domain-wide delegation", "https://www.googleapis.com/auth/drive"}},
		{"vault scope not granted", func(s *googletest.Server, o *Options, t *testing.T) {
			o.Vault = "api"
			s.Grant(googletest.ScopeUsers, googletest.ScopeMembers, googletest.ScopeDrive)
		}, connectors.CodePermission, []string{"unauthorized_client", "ediscovery.readonly"}},
		{"admin does not exist", func(s *googletest.Server, o *Options, t *testing.T) { o.Admin = "ghost@skole.test" },
			connectors.CodeNotFound, []string{"ghost@skole.test does not exist or is suspended"}},
		{"admin suspended", func(s *googletest.Server, o *Options, t *testing.T) { s.SetSuspended(coreAdmin, true) },
			connectors.CodeNotFound, []string{"does not exist or is suspended"}},
		{"not a key", func(s *googletest.Server, o *Options, t *testing.T) {
			o.KeyFile = writeKey(t, []byte(`{"type":"authorized_user"}`))
		},
			connectors.CodeInvalid, []string{"service account key", "JSON key"}},
		{"key missing", func(s *googletest.Server, o *Options, t *testing.T) {
			o.KeyFile = filepath.Join(t.TempDir(), "nope.json")
		},
			connectors.CodeInvalid, []string{"read credential file"}},
		{"systemd credential without CREDENTIALS_DIRECTORY", func(s *googletest.Server, o *Options, t *testing.T) {
			t.Setenv("CREDENTIALS_DIRECTORY", "")
			o.KeyFile, o.KeyCredential = "", "google-key"
		}, connectors.CodeInvalid, []string{"$CREDENTIALS_DIRECTORY is not set"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, o := coreFake(t, "anna@skole.test")
			tc.edit(srv, &o, t)
			err := open(o)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if code := connectors.CodeOf(err); code != tc.code {
				t.Errorf("code %v, want %v: %v", code, tc.code, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	t.Run("systemd credential", func(t *testing.T) {
		srv, o := coreFake(t, "anna@skole.test")
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "google-key"), srv.Key(), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("CREDENTIALS_DIRECTORY", dir)
		o.KeyFile, o.KeyCredential = "", "google-key"
		if err := open(o); err != nil {
			t.Fatal(err)
		}
	})
}

func skippedRefs(t *testing.T, err error) map[string]connectors.Code {
	t.Helper()
	var ie *connectors.IncompleteError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v, want an IncompleteError", err)
	}
	m := map[string]connectors.Code{}
	for _, e := range ie.Skipped {
		var ce *connectors.Error
		if !errors.As(e, &ce) {
			t.Fatalf("skipped %v is not a *connectors.Error", e)
		}
		m[ce.Ref] = ce.Code
	}
	return m
}

// listContainers lists and returns the containers reported done, with
// their errors, and List's error.
func listContainers(t *testing.T, c *Connector, opts connectors.ListOptions) ([]string, map[string]error, error) {
	t.Helper()
	var order []string
	errs := map[string]error{}
	opts.ContainerDone = func(ct string, err error) {
		order = append(order, ct)
		if err != nil {
			errs[ct] = err
		}
	}
	err := c.List(t.Context(), opts, func(connectors.Item) error { return nil })
	return order, errs, err
}

// TestScopeOrgUnit: an org unit's users with its sub-units' users, never
// a sibling unit's whose name extends it; suspended users named; exclude
// honoured.
func TestScopeOrgUnit(t *testing.T) {
	srv, o := coreFake(t)
	for _, u := range []googletest.User{
		{Email: "anna@skole.test", OrgUnit: "/Elever"},
		{Email: "bo@skole.test", OrgUnit: "/Elever/7a"},
		{Email: "carl@skole.test", OrgUnit: "/Elever/7a/Hold 2"},
		{Email: "dorte@skole.test", OrgUnit: "/Elever/7b", Suspended: true},
		{Email: "emil@skole.test", OrgUnit: "/Elever2"},
		{Email: "frida@skole.test", OrgUnit: "/Ansatte"},
		{Email: "gustav@skole.test", OrgUnit: "/Elever/7b"},
	} {
		srv.AddUser(u)
		srv.AddDrive(u.Email)
	}
	o.Users, o.OrgUnit, o.Exclude = nil, "/Elever", []string{"gustav@skole.test"}
	c, _ := openCore(t, o)
	order, errs, err := listContainers(t, c, connectors.ListOptions{})
	want := []string{"drive/anna@skole.test", "drive/bo@skole.test", "drive/carl@skole.test", "drive/dorte@skole.test"}
	if !slices.Equal(order, want) {
		t.Errorf("containers %v, want %v", order, want)
	}
	skipped := skippedRefs(t, err)
	if len(skipped) != 1 || skipped["drive/dorte@skole.test"] != connectors.CodePermission {
		t.Errorf("skipped %v, want the suspended dorte", skipped)
	}
	if errs["drive/dorte@skole.test"] == nil || len(errs) != 1 {
		t.Errorf("ContainerDone errors %v", errs)
	}
	if !strings.Contains(err.Error(), "suspended") {
		t.Errorf("error %q does not say why", err)
	}
	// Refs of users outside the scope are invalid; of the suspended user
	// they are the source's (Stat reaches the service).
	if _, err := c.Stat(t.Context(), "drive/emil@skole.test/x.txt"); connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Errorf("Stat outside the scope: %v", err)
	}
	if _, err := c.Stat(t.Context(), "drive/gustav@skole.test/x.txt"); connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Errorf("Stat of an excluded user: %v", err)
	}

	// An org unit that does not exist: the scope is unknown, List fails.
	o.OrgUnit = "/Elevr"
	c2, _ := openCore(t, o)
	if _, _, err := listContainers(t, c2, connectors.ListOptions{}); err == nil || connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Errorf("unknown org unit: %v", err)
	}
}

// TestScopeGroup: a group's members through nested groups (a cycle
// included), users of other domains left out, suspended members named.
func TestScopeGroup(t *testing.T) {
	srv, o := coreFake(t)
	srv.AddGroup("alle@skole.test", "7a@skole.test", "ansatte@skole.test")
	srv.AddGroup("7a@skole.test", "hold2@skole.test")
	srv.AddGroup("hold2@skole.test", "alle@skole.test") // a cycle
	srv.AddGroup("ansatte@skole.test")
	for _, u := range []googletest.User{
		{Email: "anna@skole.test", Groups: []string{"alle@skole.test"}},
		{Email: "bo@skole.test", Groups: []string{"7a@skole.test"}},
		{Email: "carl@skole.test", Groups: []string{"hold2@skole.test", "7a@skole.test"}},
		{Email: "dorte@skole.test", Groups: []string{"ansatte@skole.test"}, Suspended: true},
		{Email: "emil@skole.test", Groups: []string{"andre@skole.test"}},
		{Email: "gæst@other.test", Groups: []string{"7a@skole.test"}},
		{Email: "frida@skole.test", Groups: []string{"hold2@skole.test"}},
	} {
		srv.AddUser(u)
		srv.AddDrive(u.Email)
	}
	o.Users, o.Group, o.Exclude = nil, "alle@skole.test", []string{"frida@skole.test"}
	c, _ := openCore(t, o)
	order, _, err := listContainers(t, c, connectors.ListOptions{})
	want := []string{"drive/anna@skole.test", "drive/bo@skole.test", "drive/carl@skole.test", "drive/dorte@skole.test"}
	if !slices.Equal(order, want) {
		t.Errorf("containers %v, want %v", order, want)
	}
	if skipped := skippedRefs(t, err); len(skipped) != 1 || skipped["drive/dorte@skole.test"] != connectors.CodePermission {
		t.Errorf("skipped %v", skipped)
	}
	// Skip and Prefix.
	order, _, err = listContainers(t, c, connectors.ListOptions{Skip: map[string]bool{"drive/anna@skole.test": true}, Prefix: "drive"})
	if err == nil || !slices.Equal(order, want[1:]) {
		t.Errorf("with Skip: %v, %v", order, err)
	}
	order, _, err = listContainers(t, c, connectors.ListOptions{Prefix: "drive/bo@skole.test"})
	if err != nil || !slices.Equal(order, want[1:2]) {
		t.Errorf("with Prefix: %v, %v", order, err)
	}

	// A group that does not exist: List fails.
	o.Group = "ingen@skole.test"
	c2, _ := openCore(t, o)
	if _, _, err := listContainers(t, c2, connectors.ListOptions{}); connectors.CodeOf(err) != connectors.CodeNotFound {
		t.Errorf("unknown group: %v", err)
	}
}

// TestScopeUsers: listed users that do not exist or are suspended are
// skipped and named, never silently.
func TestScopeUsers(t *testing.T) {
	srv, o := coreFake(t, "anna@skole.test", "bo@skole.test")
	srv.AddUser(googletest.User{Email: "carl@skole.test", Suspended: true})
	for _, u := range []string{"anna@skole.test", "bo@skole.test", "carl@skole.test"} {
		srv.AddDrive(u)
	}
	o.Users = []string{"Bo@skole.test", "ghost@skole.test", "anna@skole.test", "carl@skole.test"}
	c, _ := openCore(t, o)
	order, errs, err := listContainers(t, c, connectors.ListOptions{})
	want := []string{"drive/anna@skole.test", "drive/bo@skole.test", "drive/carl@skole.test", "drive/ghost@skole.test"}
	if !slices.Equal(order, want) {
		t.Errorf("containers %v, want %v", order, want)
	}
	skipped := skippedRefs(t, err)
	if len(skipped) != 2 || skipped["drive/ghost@skole.test"] != connectors.CodeNotFound || skipped["drive/carl@skole.test"] != connectors.CodePermission {
		t.Errorf("skipped %v", skipped)
	}
	if len(errs) != 2 {
		t.Errorf("ContainerDone errors %v", errs)
	}
	// Every user failing: an error, not an incomplete listing.
	o.Users = []string{"ghost@skole.test"}
	c2, _ := openCore(t, o)
	_, _, err = listContainers(t, c2, connectors.ListOptions{})
	var ie *connectors.IncompleteError
	if err == nil || errors.As(err, &ie) {
		t.Errorf("all users failing: %v", err)
	}
}

// TestScopeDirectoryFaults: a directory page token that loops or a
// malformed page fails the listing with a clear error; a 503 is retried.
func TestScopeDirectoryFaults(t *testing.T) {
	srv, o := coreFake(t)
	for _, u := range []string{"a@skole.test", "b@skole.test", "c@skole.test"} {
		srv.AddUser(googletest.User{Email: u, OrgUnit: "/Elever"})
		srv.AddDrive(u)
	}
	o.Users, o.OrgUnit = nil, "/Elever"

	srv.Inject(googletest.Fault{Method: "GET", Path: "/admin/directory/v1/users", Times: 1, Status: 503})
	c, clk := openCore(t, o)
	order, _, err := listContainers(t, c, connectors.ListOptions{})
	if err != nil || len(order) != 3 {
		t.Fatalf("after a 503: %v %v", order, err)
	}
	if len(clk.waits()) != 1 {
		t.Errorf("waits %v, want one retry", clk.waits())
	}
	srv.ClearFaults()

	srv.Inject(googletest.Fault{Method: "GET", Path: "/admin/directory/v1/users", Malformed: true})
	c, _ = openCore(t, o)
	if _, _, err := listContainers(t, c, connectors.ListOptions{}); err == nil {
		t.Error("a malformed directory page was accepted")
	}
	srv.ClearFaults()

	looping := `{"kind":"admin#directory#users","users":[{"primaryEmail":"a@skole.test","orgUnitPath":"/Elever"}],"nextPageToken":"again"}`
	srv.Inject(googletest.Fault{Method: "GET", Path: "/admin/directory/v1/users", Status: 200, Body: looping})
	c, _ = openCore(t, o)
	if _, _, err := listContainers(t, c, connectors.ListOptions{}); err == nil || !strings.Contains(err.Error(), "loops") {
		t.Errorf("a looping page token: %v", err)
	}
	srv.ClearFaults()

	missing := `{"kind":"admin#directory#users","users":[{"orgUnitPath":"/Elever"}]}`
	srv.Inject(googletest.Fault{Method: "GET", Path: "/admin/directory/v1/users", Status: 200, Body: missing})
	c, _ = openCore(t, o)
	if _, _, err := listContainers(t, c, connectors.ListOptions{}); err == nil || !strings.Contains(err.Error(), "primary email") {
		t.Errorf("a user without an email: %v", err)
	}
	srv.ClearFaults()

	outside := `{"kind":"admin#directory#users","users":[{"primaryEmail":"x@skole.test","orgUnitPath":"/Elever2"}]}`
	srv.Inject(googletest.Fault{Method: "GET", Path: "/admin/directory/v1/users", Status: 200, Body: outside})
	c, _ = openCore(t, o)
	if _, _, err := listContainers(t, c, connectors.ListOptions{}); err == nil || !strings.Contains(err.Error(), "another org unit") {
		t.Errorf("a user of another unit: %v", err)
	}
}

// TestVaultHolds: with vault: api, holds of open matters on accounts and
// on org units (their sub-units included), per corpus; closed matters
// ignored; with vault: list, the configured accounts.
func TestVaultHolds(t *testing.T) {
	srv, o := coreFake(t)
	for _, u := range []googletest.User{
		{Email: "anna@skole.test", OrgUnit: "/Elever/7a"},
		{Email: "bo@skole.test", OrgUnit: "/Ansatte/Ledelse"},
		{Email: "carl@skole.test", OrgUnit: "/Ansatte"},
		{Email: "dorte@skole.test", OrgUnit: "/Ansatte2"},
	} {
		srv.AddUser(u)
	}
	srv.AddMatter(googletest.Matter{Name: "sag 1", Holds: []googletest.Hold{
		{Name: "mail", Corpus: "MAIL", Accounts: []string{"anna@skole.test"}},
		{Name: "ledelse", Corpus: "DRIVE", OrgUnit: "/Ansatte/Ledelse"},
	}})
	srv.AddMatter(googletest.Matter{Name: "lukket", State: "CLOSED", Holds: []googletest.Hold{
		{Name: "old", Corpus: "MAIL", Accounts: []string{"carl@skole.test"}},
	}})
	srv.AddMatter(googletest.Matter{Name: "sag 2", Holds: []googletest.Hold{
		{Name: "ansatte", Corpus: "MAIL", OrgUnit: "/Ansatte"},
	}})
	o.Users, o.OrgUnit, o.Vault = nil, "/", "api"
	c, clk := openCore(t, o)
	for _, tc := range []struct {
		user, corpus string
		want         bool
	}{
		{"anna@skole.test", "MAIL", true},
		{"anna@skole.test", "DRIVE", false},
		{"bo@skole.test", "DRIVE", true},
		{"bo@skole.test", "MAIL", true}, // /Ansatte/Ledelse is below /Ansatte
		{"carl@skole.test", "MAIL", true},
		{"carl@skole.test", "DRIVE", false},
		{"dorte@skole.test", "MAIL", false}, // /Ansatte2 is not below /Ansatte
		{"0Ashared", "DRIVE", false},
	} {
		got, err := c.heldByVault(t.Context(), tc.user, tc.corpus)
		if err != nil || got != tc.want {
			t.Errorf("heldByVault(%s, %s) = %v, %v; want %v", tc.user, tc.corpus, got, err, tc.want)
		}
	}
	// Read once, then again after holdsTTL.
	matterReads := func() int64 { return srv.Stats().ByRoute["GET /v1/matters"] }
	if n := matterReads(); n != 1 {
		t.Errorf("matters listed %d times, want 1", n)
	}
	srv.AddMatter(googletest.Matter{Name: "ny", Holds: []googletest.Hold{{Corpus: "DRIVE", Accounts: []string{"dorte@skole.test"}, SharedDriveFiles: true}}})
	clk.sleep(t.Context(), holdsTTL)
	if held, err := c.heldByVault(t.Context(), "dorte@skole.test", "DRIVE"); !held || err != nil {
		t.Errorf("a hold placed later: %v, %v", held, err)
	}
	if held, err := c.heldByVault(t.Context(), "0Ashared", "DRIVE"); !held || err != nil {
		t.Errorf("shared drive under a hold including shared drive files: %v, %v", held, err)
	}
	if n := matterReads(); n != 2 {
		t.Errorf("matters listed %d times, want 2", n)
	}

	// Vault refusing: an error, not "not held".
	srv.Inject(googletest.Fault{Path: "/v1/matters", Status: 403, Reason: "forbidden", Message: "The caller does not have permission"})
	clk.sleep(t.Context(), holdsTTL)
	if held, err := c.heldByVault(t.Context(), "anna@skole.test", "MAIL"); err == nil || connectors.CodeOf(err) != connectors.CodePermission {
		t.Errorf("Vault refusing: %v, %v", held, err)
	}

	// A malformed page of holds, a hold without a corpus, a page token
	// that loops: an error, never "not held".
	for _, f := range []googletest.Fault{
		{Path: "/holds", Malformed: true},
		{Path: "/holds", Status: 200, Body: `{"holds":[{"holdId":"h","accounts":[{"email":"anna@skole.test"}]}]}`},
		{Path: "/v1/matters", Status: 200, Body: `{"matters":[],"nextPageToken":"again"}`},
	} {
		srv.ClearFaults()
		srv.Inject(f)
		clk.sleep(t.Context(), holdsTTL)
		if held, err := c.heldByVault(t.Context(), "dorte@skole.test", "MAIL"); err == nil {
			t.Errorf("%+v: %v, %v", f, held, err)
		}
	}
	srv.ClearFaults()

	// vault: list.
	o.Vault, o.VaultHolds = "list", []string{"Bo@skole.test", "0AshareD"}
	c2, _ := openCore(t, o)
	for user, want := range map[string]bool{"bo@skole.test": true, "anna@skole.test": false, "0ashared": true} {
		if got, err := c2.heldByVault(t.Context(), user, "MAIL"); got != want || err != nil {
			t.Errorf("list: heldByVault(%s) = %v, %v", user, got, err)
		}
	}
}

// adminGet sends one Directory API request through the connector's
// transport (as the admin) and returns the classified error.
func adminGet(t *testing.T, c *Connector) error {
	t.Helper()
	svc, err := c.adminService(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Users.Get(coreAdmin).Context(t.Context()).Do()
	return classifyError("stat", "", err)
}

// TestRetries: throttled and failed requests are retried with backoff,
// honouring Retry-After; a storm that never ends gives up with
// CodeUnavailable; other errors are not retried.
func TestRetries(t *testing.T) {
	srv, o := coreFake(t, "anna@skole.test")
	path := "/admin/directory/v1/users/" + coreAdmin
	t.Run("429 with Retry-After", func(t *testing.T) {
		f := srv.Inject(googletest.Fault{Path: path, Times: 2, Status: 429, Reason: "rateLimitExceeded", Header: http.Header{"Retry-After": {"7"}}})
		defer srv.ClearFaults()
		c, clk := openCore(t, o)
		if err := adminGet(t, c); err != nil {
			t.Fatal(err)
		}
		if w := clk.waits(); !slices.Equal(w, []time.Duration{7 * time.Second, 7 * time.Second}) || srv.Hits(f) != 2 {
			t.Errorf("waits %v, hits %d", w, srv.Hits(f))
		}
		// Requests: Open's token (the directory client shares it) and
		// three attempts.
		if s := c.Stats(); s.Retries != 2 || s.Throttled != 2 || s.Requests != 4 {
			t.Errorf("stats %+v", s)
		}
	})
	t.Run("Retry-After as a date", func(t *testing.T) {
		defer srv.ClearFaults()
		c, clk := openCore(t, o)
		at := clk.now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
		srv.Inject(googletest.Fault{Path: path, Times: 1, Status: 503, Header: http.Header{"Retry-After": {at}}})
		if err := adminGet(t, c); err != nil {
			t.Fatal(err)
		}
		if w := clk.waits(); len(w) != 1 || w[0] < 29*time.Second || w[0] > 30*time.Second {
			t.Errorf("waits %v, want about 30s", w)
		}
	})
	t.Run("403 userRateLimitExceeded then 503", func(t *testing.T) {
		defer srv.ClearFaults()
		srv.Inject(googletest.Fault{Path: path, Times: 1, Status: 403, Reason: "userRateLimitExceeded", Message: "User Rate Limit Exceeded"})
		srv.Inject(googletest.Fault{Path: path, Times: 1, Status: 503, Reason: "backendError"})
		c, clk := openCore(t, o)
		if err := adminGet(t, c); err != nil {
			t.Fatal(err)
		}
		w := clk.waits()
		if len(w) != 2 || w[0] < time.Second || w[0] > 2*time.Second || w[1] < time.Second || w[1] > 2*time.Second {
			t.Errorf("waits %v, want two backoffs of 1s (plus jitter)", w)
		}
	})
	t.Run("storm", func(t *testing.T) {
		defer srv.ClearFaults()
		srv.Inject(googletest.Fault{Path: path, Status: 429, Reason: "rateLimitExceeded"})
		c, clk := openCore(t, o)
		done := make(chan error, 1)
		go func() { done <- adminGet(t, c) }()
		select {
		case err := <-done:
			if connectors.CodeOf(err) != connectors.CodeUnavailable {
				t.Errorf("error %v, want unavailable", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a quota storm hangs")
		}
		w := clk.waits()
		if len(w) != defaultRetry.Throttled {
			t.Errorf("%d waits, want %d", len(w), defaultRetry.Throttled)
		}
		for i := 1; i < len(w); i++ {
			if w[i] < w[i-1] && w[i] != defaultRetry.MaxWait {
				t.Errorf("backoff shrinks: %v", w)
			}
		}
		if w[len(w)-1] != defaultRetry.MaxWait {
			t.Errorf("waits %v do not reach the cap %v", w, defaultRetry.MaxWait)
		}
	})
	t.Run("5xx storm", func(t *testing.T) {
		defer srv.ClearFaults()
		srv.Inject(googletest.Fault{Path: path, Status: 500})
		c, clk := openCore(t, o)
		if err := adminGet(t, c); connectors.CodeOf(err) != connectors.CodeUnavailable {
			t.Errorf("error %v, want unavailable", err)
		}
		if n := len(clk.waits()); n != defaultRetry.Failed {
			t.Errorf("%d retries, want %d", n, defaultRetry.Failed)
		}
	})
	t.Run("not retried", func(t *testing.T) {
		defer srv.ClearFaults()
		for _, f := range []googletest.Fault{
			{Path: path, Status: 403, Reason: "forbidden", Message: "Not Authorized to access this resource/api"},
			{Path: path, Status: 404, Reason: "notFound", Message: "Resource Not Found: userKey"},
			{Path: path, Status: 400, Reason: "invalid", Message: "Invalid Input"},
		} {
			srv.ClearFaults()
			srv.Inject(f)
			c, clk := openCore(t, o)
			err := adminGet(t, c)
			want := map[int]connectors.Code{403: connectors.CodePermission, 404: connectors.CodeNotFound, 400: connectors.CodeInvalid}[f.Status]
			if connectors.CodeOf(err) != want || len(clk.waits()) != 0 {
				t.Errorf("%d %s: %v (code %v), %d retries", f.Status, f.Reason, err, connectors.CodeOf(err), len(clk.waits()))
			}
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		defer srv.ClearFaults()
		srv.Inject(googletest.Fault{Path: path, Status: 429, Reason: "rateLimitExceeded", Header: http.Header{"Retry-After": {"3600"}}})
		c, _ := openCore(t, o)
		c.sleep = connectors.Sleep // really wait
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(200*time.Millisecond, cancel)
		svc, _ := c.adminService(ctx)
		start := time.Now()
		_, err := svc.Users.Get(coreAdmin).Context(ctx).Do()
		if connectors.CodeOf(classifyError("stat", "", err)) != connectors.CodeCancelled || time.Since(start) > 10*time.Second {
			t.Errorf("after %v: %v", time.Since(start), err)
		}
	})
}

// TestPacing: a user's Gmail requests are paced to user_units_per_second
// in quota units, so the fake's quota (the same) is not exceeded;
// another user has a quota of its own; tokens are fetched once per user
// and scope set. Real time: the fake's quota runs on the wall clock.
//
// What the pacer waits is not asserted: requests that take long, and a
// retry's wait, leave it less to wait (CI once saw 250ms waited of 1.18s,
// after two retries). That it waits exactly what the rate demands, per
// user and not one user after another, is TestPacingClock's, on a fake
// clock. Here the evidence is the fake's 429s: retries come after 20ms,
// so an unpaced client is refused again and again (TestPacing/unpaced,
// about 90 times), a paced one rarely: only when one request's way to
// the fake takes 100ms or more longer than the later ones' (a busy
// machine), so that the fake's bucket has had that much less time to
// refill than the pacer's. Each refusal makes the pacer 5 units more
// careful.
func TestPacing(t *testing.T) {
	for _, tc := range []struct {
		name           string
		unitsPerSecond int
		minRefused     int64
		maxRefused     int64
	}{
		{"paced", 50, 0, 4},
		// Gmail's own 250 units a second against the fake's 50: the
		// pacer lets everything through, the fake refuses. Retried
		// every 20ms, a request is refused until its 5 units have
		// refilled (100ms): about 90 refusals here, also under -race;
		// 20 holds while a request takes under 100ms.
		{"unpaced", 250, 20, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) { testPacing(t, tc.unitsPerSecond, tc.minRefused, tc.maxRefused) })
	}
}

func testPacing(t *testing.T, unitsPerSecond int, minRefused, maxRefused int64) {
	srv, o := coreFake(t, "anna@skole.test", "bo@skole.test")
	srv.EnableGmail("anna@skole.test")
	srv.EnableGmail("bo@skole.test")
	srv.SetQuota(50, 0)
	o.UserUnitsPerSecond = unitsPerSecond
	// The run's clock is fixed (as in a test or a dry run at a date):
	// pacing still measures real seconds.
	fixed := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	c, err := Open(t.Context(), connectors.Env{Logger: zaptest.NewLogger(t), Now: func() time.Time { return fixed }}, o)
	if err != nil {
		t.Fatal(err)
	}
	// Retries come after 20ms, not the fake's Retry-After of a second,
	// in which the fake's bucket would refill whole.
	c.retry.Backoff, c.retry.MaxWait = 20*time.Millisecond, 20*time.Millisecond
	users := []string{"anna@skole.test", "bo@skole.test"}
	svcs := make([]*gmail.Service, len(users))
	for i, u := range users {
		if svcs[i], err = c.gmailFor(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		// A first list opens the connection (a TLS handshake) and starts
		// the fake's bucket and the pacer's; both are full again after a
		// second. Otherwise the fake's bucket starts a handshake later
		// than the pacer's, which then spends credit the fake never gave.
		if _, err := svcs[i].Users.Messages.List("me").Context(t.Context()).Do(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	before, fakeBefore := c.Stats(), srv.Stats()
	start := time.Now()
	var wg sync.WaitGroup
	for _, svc := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 { // 20 lists of 5 units: 100 units, 50 a second, a burst of 50
				if _, err := svc.Users.Messages.List("me").Context(t.Context()).Do(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	s, fake := c.Stats(), srv.Stats()
	retries, throttled := s.Retries-before.Retries, s.Throttled-before.Throttled
	// Requests: 40 lists, and a retry for each that the fake refused;
	// each attempt is paced and charged its 5 units.
	if s.Units-before.Units != 200+5*retries || s.Requests-before.Requests != 40+retries ||
		throttled != fake.Throttled-fakeBefore.Throttled || retries != throttled {
		t.Errorf("stats %+v before %+v, fake %+v before %+v", s, before, fake, fakeBefore)
	}
	if throttled < minRefused || throttled > maxRefused {
		t.Errorf("the fake refused %d requests, want %d to %d", throttled, minRefused, maxRefused)
	}
	t.Logf("%d refused; waited %v in all, %v elapsed", throttled, s.Waited-before.Waited, elapsed)
	if n := srv.Stats().TokenRequests; n != 3 {
		t.Errorf("%d token requests, want 3 (Open's and one per user)", n)
	}
}

// TestGmailUnits: what each Gmail method costs, from Google's table.
func TestGmailUnits(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/gmail/v1/users/me/messages/batchDelete", 50},
		{"GET", "/gmail/v1/users/me/history", 2},
		{"GET", "/gmail/v1/users/me/labels", 1},
		{"GET", "/gmail/v1/users/me/messages/abc", 5},
		{"GET", "/gmail/v1/users/me/messages", 5},
		{"DELETE", "/gmail/v1/users/me/messages/abc", 10},
		{"POST", "/gmail/v1/users/me/messages", 25},
		{"POST", "/gmail/v1/users/me/messages/import", 25},
		{"POST", "/gmail/v1/users/me/messages/send", 100},
		{"POST", "/gmail/v1/users/me/messages/abc/modify", 5},
	} {
		if got := gmailUnits(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s costs %d, want %d", tc.method, tc.path, got, tc.want)
		}
	}
}

// TestPacingClock: pacing reads its clock and waits through the
// injected sleep.
func TestPacingClock(t *testing.T) {
	_, o := coreFake(t, "anna@skole.test")
	o.UserUnitsPerSecond = 20
	c, clk := openCore(t, o)
	for range 12 { // 60 units, a burst of 20
		if err := c.wait(t.Context(), apiGmail, "anna@skole.test", 5); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.wait(t.Context(), apiGmail, "bo@skole.test", 20); err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	for _, w := range clk.waits() {
		total += w
	}
	// 40 units beyond the burst at 95% of 20/s.
	margin := float64(paceMargin)
	want := time.Duration(40 / (20 * margin) * float64(time.Second))
	if total < want-10*time.Millisecond || total > want+10*time.Millisecond {
		t.Errorf("waited %v (%v), want %v", total, clk.waits(), want)
	}
	// A batch costing more than a second's units is paced in parts.
	if err := c.wait(t.Context(), apiGmail, "bo@skole.test", 100); err != nil {
		t.Fatal(err)
	}
	total = 0
	for _, w := range clk.waits() {
		total += w
	}
	// bo: a burst of 20 at once; then the 100 units of the batch, 20 at
	// a time, at 19/s.
	want += time.Duration(100 / (20 * margin) * float64(time.Second))
	if total < want-10*time.Millisecond || total > want+10*time.Millisecond {
		t.Errorf("waited %v after a batch of 100 units, want %v", total, want)
	}
	// Drive: the project's limit is shared by every user.
	o.DriveRequestsPerMinute = 600 // 10 a second, a burst of 10
	d, dclk := openCore(t, o)
	for _, u := range []string{"anna@skole.test", "bo@skole.test"} {
		for range 10 {
			if err := d.wait(t.Context(), apiDrive, u, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	total = 0
	for _, w := range dclk.waits() {
		total += w
	}
	// 10 requests beyond the project's burst at 95% of 10/s, though
	// each user is far below Drive's 200 a second.
	want = time.Duration(10 / (10 * margin) * float64(time.Second))
	if total < want-10*time.Millisecond || total > want+10*time.Millisecond {
		t.Errorf("Drive: waited %v, want %v", total, want)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.wait(ctx, apiGmail, "anna@skole.test", 20); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

// TestListReadAhead: with parallel_users, containers are read side by
// side (the fake sees requests at once) but delivered in order, fn
// never called concurrently; the same listing as one user at a time.
func TestListReadAhead(t *testing.T) {
	var users []string
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		users = append(users, n+"@skole.test")
	}
	srv, o := coreFake(t, users...)
	for _, u := range users {
		srv.AddDrive(u)
		for i := range 3 {
			srv.PutFile(u, "mappe/f"+string(rune('0'+i))+".txt", googletest.File{Content: []byte("x")})
		}
	}
	srv.SetLatency(40 * time.Millisecond)
	list := func(parallel int) ([]string, int64) {
		o := o
		o.ParallelUsers = parallel
		c, _ := openCore(t, o)
		var refs []string
		var busy sync.Mutex
		// A first listing resolves the scope and gets the users' tokens;
		// the second is timed.
		if err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error { return nil }); err != nil {
			t.Fatal(err)
		}
		before := srv.Stats().Requests
		srv.ResetPeak()
		start := time.Now()
		defer func() {
			t.Logf("parallel_users %d: %d requests in %v", parallel, srv.Stats().Requests-before, time.Since(start))
		}()
		err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
			if !busy.TryLock() {
				t.Error("fn called concurrently")
				return nil
			}
			defer busy.Unlock()
			refs = append(refs, it.Ref)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return refs, srv.Stats().Peak
	}
	one, peak1 := list(1)
	eight, peak8 := list(8)
	if len(one) != 24 || !slices.Equal(one, eight) {
		t.Fatalf("listings differ:\n%v\n%v", one, eight)
	}
	// 40 ms a request: eight users read at once overlap at the fake.
	if peak1 != 1 || peak8 < 2 || peak8 > 8 {
		t.Errorf("requests at once: %d with parallel_users 1 (want 1), %d with 8 (want 2–8)", peak1, peak8)
	}
	// fn's error stops the listing at once, and List returns it as is.
	c, _ := openCore(t, o)
	stop := errors.New("enough")
	n := 0
	err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if err != stop || n != 5 {
		t.Errorf("stopped listing: %v after %d items", err, n)
	}
}

// TestDeleteBatchRouting: targets of no part fail as invalid in place,
// the others are deleted, results in the order given; a cancelled
// context attempts nothing; a directory that cannot be read fails the
// call before anything is attempted.
func TestDeleteBatchRouting(t *testing.T) {
	srv, o := coreFake(t, "anna@skole.test")
	srv.AddDrive("anna@skole.test")
	srv.PutFile("anna@skole.test", "a.txt", googletest.File{Content: []byte("a")})
	c, _ := openCore(t, o)
	it, err := c.Stat(t.Context(), "drive/anna@skole.test/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	targets := []connectors.Target{
		{Ref: "gmail/anna@skole.test/1", Version: "1"}, // Gmail not managed
		{Ref: it.Ref, Version: it.Version},
		{Ref: "drive/bo@skole.test/a.txt", Version: it.Version}, // not in scope
		{Ref: "x", Version: "1"},
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rs, err := c.DeleteBatch(ctx, targets)
	if err != nil || len(rs) != 4 {
		t.Fatalf("cancelled: %v %v", rs, err)
	}
	for _, r := range rs {
		if r.Outcome != connectors.OutcomeFailed || connectors.CodeOf(r.Err) != connectors.CodeCancelled {
			t.Errorf("cancelled: %+v", r)
		}
	}
	rs, err = c.DeleteBatch(t.Context(), targets)
	if err != nil || len(rs) != 4 {
		t.Fatalf("%v %v", rs, err)
	}
	for i, r := range rs {
		want := connectors.OutcomeFailed
		if i == 1 {
			want = connectors.OutcomeDeleted
		}
		if r.Ref != targets[i].Ref || r.Outcome != want || want == connectors.OutcomeFailed && connectors.CodeOf(r.Err) != connectors.CodeInvalid {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if _, ok := srv.FileID("anna@skole.test", "a.txt"); ok {
		t.Error("a.txt was not deleted")
	}

	srv.Inject(googletest.Fault{Path: "/admin/directory/v1/users", Status: 403, Reason: "forbidden", Message: "Not Authorized to access this resource/api"})
	o.Users, o.OrgUnit = nil, "/"
	c2, _ := openCore(t, o)
	if rs, err := c2.DeleteBatch(t.Context(), targets[1:2]); err == nil || rs != nil || connectors.CodeOf(err) != connectors.CodePermission {
		t.Errorf("directory refused: %v, %v", rs, err)
	}
}

// TestRouteWithoutDirectory: with listed users, Stat and DeleteBatch of
// a listed user's refs read no directory; refs of others do (a listed
// alias's primary address is the source's too).
func TestRouteWithoutDirectory(t *testing.T) {
	srv, o := coreFake(t, "anna@skole.test", "bo@skole.test")
	srv.AddDrive("anna@skole.test")
	c, _ := openCore(t, o)
	if _, err := c.Stat(t.Context(), "drive/anna@skole.test/x.txt"); connectors.CodeOf(err) != connectors.CodeNotFound {
		t.Errorf("Stat: %v", err)
	}
	if n := srv.Stats().ByRoute["GET /admin/directory/v1/users/{userKey}"]; n != 0 {
		t.Errorf("%d users.get for a listed user's ref", n)
	}
	if _, err := c.Stat(t.Context(), "drive/carl@skole.test/x.txt"); connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Errorf("Stat of another user: %v", err)
	}
	if n := srv.Stats().ByRoute["GET /admin/directory/v1/users/{userKey}"]; n != 2 {
		t.Errorf("%d users.get for a ref of no listed user, want the scope resolved (2)", n)
	}
}

// TestListTokenFailures: a user that can no longer be impersonated
// (suspended since the scope was read) is skipped and named; delegation
// revoked for the service account stops the whole listing.
func TestListTokenFailures(t *testing.T) {
	srv, o := coreFake(t, "anna@skole.test", "bo@skole.test")
	srv.AddDrive("anna@skole.test")
	srv.AddDrive("bo@skole.test")
	srv.PutFile("bo@skole.test", "x.txt", googletest.File{Content: []byte("x")})
	c, _ := openCore(t, o)
	if _, err := c.scope(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.SetSuspended("anna@skole.test", true)
	var refs []string
	err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		refs = append(refs, it.Ref)
		return nil
	})
	skipped := skippedRefs(t, err)
	if len(skipped) != 1 || skipped["drive/anna@skole.test"] == connectors.CodeOther || len(refs) != 1 {
		t.Errorf("suspended since: %v, listed %v", err, refs)
	}

	c2, _ := openCore(t, o)
	srv.SetSuspended("anna@skole.test", false)
	srv.Grant(googletest.ScopeUsers, googletest.ScopeMembers) // Drive revoked
	err = c2.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error { return nil })
	var ie *connectors.IncompleteError
	if err == nil || errors.As(err, &ie) || connectors.CodeOf(err) != connectors.CodePermission || !strings.Contains(err.Error(), "Domain-wide delegation") ||
		!strings.Contains(err.Error(), "may not impersonate users: ") {
		t.Errorf("delegation revoked: %v", err)
	}
}

// TestScopeUsersParallel: listed users are looked up parallel_users at a
// time, their order kept.
func TestScopeUsersParallel(t *testing.T) {
	var users []string
	for _, n := range []string{"h", "g", "f", "e", "d", "c", "b", "a"} {
		users = append(users, n+"@skole.test")
	}
	srv, o := coreFake(t, users...)
	c, _ := openCore(t, o)
	srv.SetLatency(50 * time.Millisecond)
	srv.ResetPeak()
	sc, err := c.scope(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(users)
	slices.Sort(want)
	if !slices.Equal(sc.users, want) {
		t.Errorf("users %v", sc.users)
	}
	// 8 lookups of 50 ms, up to 8 at a time: the fake sees them at once.
	if p := srv.Stats().Peak; p < 2 || p > 8 {
		t.Errorf("%d lookups at once, want 2–8", p)
	}
	// The directory client uses the admin's token that Open got.
	if n := srv.Stats().TokenRequests; n != 1 {
		t.Errorf("%d token requests, want Open's alone", n)
	}
}
