package m365

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/m365/graphtest"
)

var t0 = time.Date(2023, 3, 1, 8, 0, 0, 0, time.UTC)

// fill puts n messages in a mailbox, one a day back from t0, and returns
// their ids.
func fill(srv *graphtest.Server, mb string, n int) []string {
	ids := make([]string, n)
	for i := range n {
		m := srv.Put(mb, graphtest.Message{ImmutableID: fmt.Sprintf("%s-%04d", strings.Split(mb, "@")[0], i), Received: t0.Add(-time.Duration(i) * 24 * time.Hour)})
		ids[i] = m.ImmutableID
	}
	return ids
}

func listAll(t *testing.T, c *Connector, opts connectors.ListOptions) ([]connectors.Item, error) {
	t.Helper()
	var items []connectors.Item
	err := c.List(t.Context(), opts, func(it connectors.Item) error {
		items = append(items, it)
		return nil
	})
	return items, err
}

func targets(items []connectors.Item) []connectors.Target {
	ts := make([]connectors.Target, len(items))
	for i, it := range items {
		ts[i] = connectors.Target{Ref: it.Ref, Version: it.Version}
	}
	return ts
}

func outcomes(rs []connectors.Result) map[connectors.Outcome]int {
	m := map[connectors.Outcome]int{}
	for _, r := range rs {
		m[r.Outcome]++
	}
	return m
}

func TestOpenBadCredentials(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	cases := map[string]func(o *Options){
		"wrong secret": func(o *Options) {
			p := filepath.Join(t.TempDir(), "s")
			os.WriteFile(p, []byte("not-the-secret"), 0o600)
			o.ClientSecretFile = p
		},
		"wrong tenant":           func(o *Options) { o.TenantID = "99999999-2222-3333-4444-555555555555" },
		"unknown client":         func(o *Options) { o.ClientID = "99999999-7777-8888-9999-000000000000" },
		"secret file missing":    func(o *Options) { o.ClientSecretFile = filepath.Join(t.TempDir(), "none") },
		"environment unset":      func(o *Options) { o.ClientSecretFile, o.ClientSecretEnv = "", "RETENTIOND_TEST_UNSET_SECRET" },
		"systemd credential off": func(o *Options) { o.ClientSecretFile, o.ClientSecretCredential = "", "graph" },
	}
	want := map[string]string{
		"wrong secret": "AADSTS7000215", "wrong tenant": "AADSTS90002", "unknown client": "AADSTS700016",
		"secret file missing": "read credential file", "environment unset": "RETENTIOND_TEST_UNSET_SECRET is not set",
		"systemd credential off": "CREDENTIALS_DIRECTORY",
	}
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			oo := o
			mutate(&oo)
			_, err := Open(t.Context(), connectors.Env{Logger: zaptest.NewLogger(t)}, oo)
			if err == nil || !strings.Contains(err.Error(), want[name]) {
				t.Fatalf("Open: %v, want an error mentioning %q", err, want[name])
			}
		})
	}
	if st := srv.Stats(); st.Requests != 0 {
		t.Errorf("Graph was called %d times without a token", st.Requests)
	}
}

func TestSecretFromEnvironmentAndSystemdCredential(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	fill(srv, "anna@skole.test", 3)
	t.Setenv("RETENTIOND_TEST_SECRET", srv.Secret)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "graph"), []byte(srv.Secret), 0o600)
	t.Setenv("CREDENTIALS_DIRECTORY", dir)
	for _, mutate := range []func(*Options){
		func(o *Options) { o.ClientSecretFile, o.ClientSecretEnv = "", "RETENTIOND_TEST_SECRET" },
		func(o *Options) { o.ClientSecretFile, o.ClientSecretCredential = "", "graph" },
	} {
		oo := o
		mutate(&oo)
		items, err := listAll(t, open(t, oo), connectors.ListOptions{})
		if err != nil || len(items) != 3 {
			t.Errorf("listed %d items, %v", len(items), err)
		}
	}
}

// selfSigned makes a certificate and key as an administrator would upload
// to the app registration, in one PEM file.
func selfSigned(t *testing.T) (der []byte, pemFile string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "retentiond"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	pemFile = filepath.Join(t.TempDir(), "graph.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})...)
	if err := os.WriteFile(pemFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return der, pemFile
}

func TestCertificateAuth(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	fill(srv, "anna@skole.test", 2)
	der, file := selfSigned(t)
	o.ClientSecretFile, o.CertificateFile = "", file
	if _, err := Open(t.Context(), connectors.Env{Logger: zaptest.NewLogger(t)}, o); err == nil || !strings.Contains(err.Error(), "AADSTS700027") {
		t.Fatalf("Open with an unregistered certificate: %v, want AADSTS700027", err)
	}
	srv.AddCertificate(der)
	items, err := listAll(t, open(t, o), connectors.ListOptions{})
	if err != nil || len(items) != 2 {
		t.Fatalf("listed %d items, %v", len(items), err)
	}
}

func TestValidate(t *testing.T) {
	_, good := fake(t, "anna@skole.test")
	for name, c := range map[string]struct {
		mutate func(*Options)
		want   string
	}{
		"no credential":    {func(o *Options) { o.ClientSecretFile = "" }, "exactly one of certificate_file"},
		"two credentials":  {func(o *Options) { o.ClientSecretEnv = "X" }, "found 2"},
		"no scope":         {func(o *Options) { o.Mailboxes = nil }, "exactly one scope"},
		"two scopes":       {func(o *Options) { o.AllUsers = true }, "exactly one scope"},
		"bad mailbox":      {func(o *Options) { o.Mailboxes = []string{"anna/../x@y"} }, "not a mailbox address"},
		"duplicate":        {func(o *Options) { o.Mailboxes = []string{"a@x.dk", "A@x.dk"} }, "listed twice"},
		"concurrency":      {func(o *Options) { o.MaxConcurrentPerMailbox = 5 }, "at most 4"},
		"page size":        {func(o *Options) { o.PageSize = 1001 }, "at most 1000"},
		"http graph":       {func(o *Options) { o.GraphURL = "http://graph.example" }, "https URL"},
		"client id":        {func(o *Options) { o.ClientID = "app" }, "client_id"},
		"credential path":  {func(o *Options) { o.ClientSecretFile, o.ClientSecretCredential = "", "../x" }, "plain name"},
		"group not a guid": {func(o *Options) { o.Mailboxes, o.Group = nil, "staff" }, "group object id"},
	} {
		o := good
		c.mutate(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate = %v, want %q", name, err, c.want)
		}
	}
	if err := good.Validate(); err != nil {
		t.Errorf("good options: %v", err)
	}
}

// Every request carries Prefer: IdType="ImmutableId", later pages
// included: a message moved between the plan and the deletion keeps its
// ref.
func TestImmutableIDsOnEveryPage(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	ids := fill(srv, "anna@skole.test", 25)
	o.PageSize = 10
	c := open(t, o)
	items, err := listAll(t, c, connectors.ListOptions{})
	if err != nil || len(items) != 25 {
		t.Fatalf("listed %d, %v", len(items), err)
	}
	for _, it := range items {
		_, id, _ := strings.Cut(it.Ref, "/")
		if !slices.Contains(ids, id) {
			t.Fatalf("ref %q does not carry the immutable id", it.Ref)
		}
	}
	// The user moves one to an archive folder: same ref, new change key.
	srv.Move("anna@skole.test", ids[20], "archive")
	rs, err := c.DeleteBatch(t.Context(), targets(items))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rs); got[connectors.OutcomeDeleted] != 24 || got[connectors.OutcomeChanged] != 1 {
		t.Errorf("outcomes %v, want 24 deleted and the moved one changed", got)
	}
	if _, ok := srv.Get("anna@skole.test", ids[20]); !ok {
		t.Error("the moved message was deleted")
	}
}

func TestReceivedBeforeFilters(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	fill(srv, "anna@skole.test", 40)
	c := open(t, o)
	items, err := listAll(t, c, connectors.ListOptions{ReceivedBefore: t0.Add(-29 * 24 * time.Hour)})
	if err != nil || len(items) != 10 {
		t.Fatalf("listed %d, %v; want the 10 messages received more than 29 days before t0", len(items), err)
	}
}

// Deletion uses permanentDelete in batches of 20, never DELETE, and a
// mailbox under an Exchange hold reports its messages as held.
func TestDeleteIsPermanentAndBatched(t *testing.T) {
	srv, o := fake(t, "anna@skole.test", "bo@skole.test")
	fill(srv, "anna@skole.test", 100)
	held := fill(srv, "bo@skole.test", 30)
	srv.SetHold("bo@skole.test", true)
	o.ExchangeHolds = []string{"bo@skole.test"}
	c := open(t, o)
	items, err := listAll(t, c, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Stats()
	rs, err := c.DeleteBatch(t.Context(), targets(items))
	if err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()
	if got := outcomes(rs); got[connectors.OutcomeDeleted] != 100 || got[connectors.OutcomeHeld] != 30 {
		t.Fatalf("outcomes %v", got)
	}
	for _, r := range rs {
		if r.Outcome == connectors.OutcomeHeld && connectors.CodeOf(r.Err) != connectors.CodeHeld {
			t.Errorf("%s: held with %v", r.Ref, r.Err)
		}
		if r.Outcome == connectors.OutcomeDeleted && r.Method != "purge" {
			t.Errorf("%s: method %q", r.Ref, r.Method)
		}
	}
	if st.SoftDeletes != 0 || st.PermanentDeletes-before.PermanentDeletes != 130 {
		t.Errorf("%d DELETEs and %d permanentDeletes, want 0 and 130", st.SoftDeletes, st.PermanentDeletes-before.PermanentDeletes)
	}
	// anna: 1 listing before, 5 batches, 1 listing after; bo: 2 batches of
	// GETs before, 2 of deletes, 2 of GETs after.
	if n := st.Requests - before.Requests; n != 7+6 {
		t.Errorf("%d requests for 130 deletions, want 13", n)
	}
	if srv.Count("anna@skole.test") != 0 || srv.Count("bo@skole.test") != 0 || !srv.InPurges("bo@skole.test", held[0]) {
		t.Error("messages left, or the held mailbox's messages not kept by Exchange")
	}
	for mb, n := range st.MaxInflight {
		if n > 4 {
			t.Errorf("%s: %d concurrent requests", mb, n)
		}
	}
}

// Throttled and failing steps are retried on their own; throttled
// envelopes honour fractional Retry-After values.
func TestDeleteRetriesSteps(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	fill(srv, "anna@skole.test", 40)
	c := open(t, o)
	c.retry.Backoff = time.Millisecond
	items, _ := listAll(t, c, connectors.ListOptions{})
	throttled := srv.Inject(graphtest.Fault{Method: "POST", Path: "/permanentDelete", Step: true, Times: 7,
		Status: http.StatusTooManyRequests, Code: "ApplicationThrottled", Header: http.Header{"Retry-After": {"0.05"}}})
	failing := srv.Inject(graphtest.Fault{Method: "POST", Path: "/permanentDelete", Step: true, Times: 3,
		Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable"})
	envelope := srv.Inject(graphtest.Fault{Method: "POST", Path: "/$batch", Times: 2,
		Status: http.StatusTooManyRequests, Code: "ApplicationThrottled", Header: http.Header{"Retry-After": {"0.5"}}})
	start := time.Now()
	rs, err := c.DeleteBatch(t.Context(), targets(items))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rs); got[connectors.OutcomeDeleted] != 40 {
		t.Fatalf("outcomes %v, want 40 deleted", got)
	}
	if srv.Hits(throttled) != 7 || srv.Hits(failing) != 3 || srv.Hits(envelope) != 2 {
		t.Errorf("faults hit %d, %d, %d times", srv.Hits(throttled), srv.Hits(failing), srv.Hits(envelope))
	}
	// Two envelopes waited 0.5 s each: a truncated Retry-After would have
	// waited 0.
	if d := time.Since(start); d < time.Second {
		t.Errorf("took %v: the fractional Retry-After was not honoured", d)
	}
}

// A step that never succeeds fails that message only; nothing is
// recorded deleted that Graph did not confirm and that is still there.
func TestDeleteStepFailuresAreIsolated(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	ids := fill(srv, "anna@skole.test", 5)
	c := open(t, o)
	items, _ := listAll(t, c, connectors.ListOptions{})
	srv.Inject(graphtest.Fault{Method: "POST", Path: ids[2] + "/permanentDelete", Step: true, Status: http.StatusInternalServerError, Code: "generalException"})
	srv.Inject(graphtest.Fault{Method: "POST", Path: ids[3] + "/permanentDelete", Step: true, Status: http.StatusForbidden, Code: "ErrorAccessDenied"})
	rs, err := c.DeleteBatch(t.Context(), targets(items))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		_, id, _ := strings.Cut(r.Ref, "/")
		_, exists := srv.Get("anna@skole.test", id)
		switch id {
		case ids[2], ids[3]:
			if r.Outcome != connectors.OutcomeFailed || !exists {
				t.Errorf("%s: %v (%v), exists %v", id, r.Outcome, r.Err, exists)
			}
		default:
			if r.Outcome != connectors.OutcomeDeleted || exists {
				t.Errorf("%s: %v (%v), exists %v", id, r.Outcome, r.Err, exists)
			}
		}
	}
	if code := connectors.CodeOf(rs[slices.IndexFunc(rs, func(r connectors.Result) bool { return strings.HasSuffix(r.Ref, ids[3]) })].Err); code != connectors.CodePermission {
		t.Errorf("access denied classified %v", code)
	}
}

// A batch response with fewer answers than requests: the missing steps are
// sent again and verified, never assumed.
func TestDeleteShortBatchResponse(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	fill(srv, "anna@skole.test", 20)
	c := open(t, o)
	items, _ := listAll(t, c, connectors.ListOptions{})
	short := srv.Inject(graphtest.Fault{Method: "POST", Path: "/$batch", DropSteps: 3, Times: 1})
	rs, err := c.DeleteBatch(t.Context(), targets(items))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rs); got[connectors.OutcomeDeleted] != 20 || srv.Hits(short) != 1 {
		t.Errorf("outcomes %v, fault hit %d", got, srv.Hits(short))
	}
	// A batch that keeps coming back malformed deletes nothing it cannot
	// confirm: the messages whose deletion never ran are failed.
	fill(srv, "anna@skole.test", 5)
	items, _ = listAll(t, c, connectors.ListOptions{})
	srv.Inject(graphtest.Fault{Method: "POST", Path: "/$batch", Malformed: true})
	rs, err = c.DeleteBatch(t.Context(), targets(items))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rs); got[connectors.OutcomeFailed] != 5 || srv.Count("anna@skole.test") != 5 {
		t.Errorf("outcomes %v with %d left", got, srv.Count("anna@skole.test"))
	}
}

// Bad mailboxes are skipped and named; the others are listed.
func TestListSkipsBadMailboxes(t *testing.T) {
	srv, o := fake(t, "anna@skole.test", "bo@skole.test", "carl@skole.test", "dorte@skole.test", "erik@skole.test")
	for _, mb := range []string{"anna@skole.test", "bo@skole.test", "carl@skole.test", "dorte@skole.test"} {
		fill(srv, mb, 30)
	}
	o.Mailboxes = append(o.Mailboxes, "nobody@skole.test", "onprem@skole.test")
	srv.AddUserWithoutMailbox("onprem@skole.test")
	srv.Deny("bo@skole.test", 2) // the admin removes bo from the app's scope mid-listing
	srv.Inject(graphtest.Fault{Method: "GET", Path: "/users/carl@skole.test/messages", Malformed: true})
	srv.Inject(graphtest.Fault{Method: "GET", Path: "/users/dorte@skole.test/messages", LoopNextLink: true})
	srv.Inject(graphtest.Fault{Method: "GET", Path: "/users/erik@skole.test/messages", Status: 500, Code: "generalException"})
	o.PageSize = 10
	c := open(t, o)
	reported := map[string]error{}
	items, err := listAll(t, c, connectors.ListOptions{ContainerDone: func(mb string, err error) { reported[mb] = err }})
	var inc *connectors.IncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("List: %v, want an incomplete listing", err)
	}
	want := map[string]connectors.Code{
		"bo@skole.test": connectors.CodePermission, "carl@skole.test": connectors.CodeIO, "dorte@skole.test": connectors.CodeIO,
		"erik@skole.test": connectors.CodeUnavailable, "nobody@skole.test": connectors.CodeNotFound, "onprem@skole.test": connectors.CodeNotFound,
	}
	for _, e := range inc.Skipped {
		var ce *connectors.Error
		errors.As(e, &ce)
		if ce == nil || want[ce.Ref] != ce.Code {
			t.Errorf("skipped %v", e)
			continue
		}
		delete(want, ce.Ref)
	}
	if len(want) > 0 {
		t.Errorf("not reported: %v", want)
	}
	// Every mailbox is reported finished, the failed ones with their error,
	// so that a resumed plan neither lists them again nor forgets they failed.
	if len(reported) != 7 || reported["anna@skole.test"] != nil || connectors.CodeOf(reported["bo@skole.test"]) != connectors.CodePermission ||
		connectors.CodeOf(reported["erik@skole.test"]) != connectors.CodeUnavailable {
		t.Errorf("ContainerDone calls: %v", reported)
	}
	perMailbox := map[string]int{}
	for _, it := range items {
		perMailbox[it.Container]++
	}
	if perMailbox["anna@skole.test"] != 30 || perMailbox["dorte@skole.test"] != 10 {
		t.Errorf("listed %v", perMailbox)
	}
}

// TestListReadsAheadOfTheMailboxBeingPlanned checks that while the caller
// is still on the first mailbox's first item, the mailboxes after it are
// listed to the end (within the read-ahead of four pages per parallel
// mailbox), not a page or two each: a mailbox's pages come one after the
// other, so listing many large mailboxes strictly one after the other
// would take the sum of their times. Items still reach the caller mailbox
// by mailbox, in order, each mailbox reported done after its items.
func TestListReadsAheadOfTheMailboxBeingPlanned(t *testing.T) {
	mbs := []string{"anna@skole.test", "bo@skole.test", "carl@skole.test", "dorte@skole.test"}
	srv, o := fake(t, mbs...)
	for _, mb := range mbs {
		fill(srv, mb, 30)
	}
	o.PageSize = 10 // three pages a mailbox
	o.ParallelMailboxes = 4
	c := open(t, o)
	const pages = 12
	before := srv.Stats().Requests
	var (
		items   []connectors.Item
		done    []string
		fetched int64
	)
	err := c.List(t.Context(), connectors.ListOptions{ContainerDone: func(mb string, err error) {
		if err != nil || len(items) != 30*(len(done)+1) {
			t.Errorf("%s done (%v) after %d items", mb, err, len(items))
		}
		done = append(done, mb)
	}}, func(it connectors.Item) error {
		if len(items) == 0 {
			deadline := time.Now().Add(20 * time.Second)
			for fetched < pages && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
				fetched = srv.Stats().Requests - before
			}
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fetched < pages {
		t.Errorf("%d of the %d pages were fetched while the first mailbox's first item was being planned", fetched, pages)
	}
	if !slices.Equal(done, mbs) || len(items) != 4*30 {
		t.Fatalf("mailboxes done %v, %d items", done, len(items))
	}
	for i, it := range items {
		if it.Container != mbs[i/30] {
			t.Fatalf("item %d is from %s: mailboxes interleaved", i, it.Container)
		}
	}
}

func TestListFailsWhenNothingReadable(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	srv.Deny("anna@skole.test", 0)
	_, err := listAll(t, open(t, o), connectors.ListOptions{})
	var inc *connectors.IncompleteError
	if err == nil || errors.As(err, &inc) || !strings.Contains(err.Error(), "no mailbox could be read") {
		t.Fatalf("List: %v", err)
	}
}

func TestGroupAndAllUsersScopes(t *testing.T) {
	srv, o := fake(t)
	group := srv.AddGroup("anna@skole.test", "bo@skole.test")
	srv.AddUser("carl@skole.test")
	srv.AddUserWithoutMailbox("printer@skole.test")
	for _, mb := range []string{"anna@skole.test", "bo@skole.test", "carl@skole.test"} {
		fill(srv, mb, 3)
	}
	o.Mailboxes, o.Group = nil, group
	c := open(t, o)
	items, err := listAll(t, c, connectors.ListOptions{})
	if err != nil || len(items) != 6 {
		t.Fatalf("group: %d items, %v", len(items), err)
	}
	if _, err := c.Stat(t.Context(), "carl@skole.test/carl-0000"); connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Errorf("Stat outside the group: %v", err)
	}
	o.Group, o.AllUsers, o.Exclude = "", true, []string{"bo@skole.test"}
	items, err = listAll(t, open(t, o), connectors.ListOptions{})
	if err != nil || len(items) != 6 {
		t.Fatalf("all users but bo: %d items, %v (a user without a mailbox is not an error)", len(items), err)
	}
}

func TestClassifiesSensitiveMail(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	srv.Put("anna@skole.test", graphtest.Message{ImmutableID: "cpr", Received: t0, Subject: "Elev 010215-1234 fravær"})
	srv.Put("anna@skole.test", graphtest.Message{ImmutableID: "phone", Received: t0, Subject: "Ring 12345678"})
	srv.Put("anna@skole.test", graphtest.Message{ImmutableID: "cat", Received: t0, Subject: "Møde", Categories: []string{"Elevsag"}})
	o.Categories = []string{"elevsag"}
	items, err := listAll(t, open(t, o), connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, it := range items {
		got[strings.TrimPrefix(it.Ref, "anna@skole.test/")] = it.Labels
	}
	if !slices.Contains(got["cpr"], LabelSensitive) || !strings.Contains(strings.Join(got["cpr"], ","), "CPR number") ||
		strings.Contains(strings.Join(got["cpr"], ","), "010215") {
		t.Errorf("cpr labels %q", got["cpr"])
	}
	if len(got["phone"]) != 0 {
		t.Errorf("a phone number was classified: %q", got["phone"])
	}
	if !slices.Contains(got["cat"], LabelSensitive) {
		t.Errorf("category labels %q", got["cat"])
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2.128", 2128 * time.Millisecond, true},
		{"0.5", 500 * time.Millisecond, true},
		{"3", 3 * time.Second, true},
		{"Sun, 22 Nov 2026 12:00:07 GMT", 7 * time.Second, true},
		{"Sun, 22 Nov 2026 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"soon", 0, false},
	} {
		got, ok := retryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// DeleteBatch calls running side by side, as the executor runs chunks,
// share the limits: at most 4 requests per mailbox and parallel_mailboxes
// mailboxes at once, across calls, even when two calls hold targets of the
// same mailbox.
func TestConcurrentDeleteCallsShareLimits(t *testing.T) {
	mbs := []string{"anna@skole.test", "bo@skole.test", "carl@skole.test", "dorte@skole.test"}
	srv, o := fake(t, mbs...)
	for _, mb := range mbs {
		fill(srv, mb, 120)
	}
	srv.Latency = 2 * time.Millisecond
	o.ParallelMailboxes = 2
	c := open(t, o)
	items, err := listAll(t, c, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DeleteConcurrency() != 2 {
		t.Fatalf("DeleteConcurrency() = %d, want parallel_mailboxes", c.DeleteConcurrency())
	}
	// Four calls, each with every fourth message: every call touches
	// every mailbox.
	parts := make([][]connectors.Target, 4)
	for i, tg := range targets(items) {
		parts[i%4] = append(parts[i%4], tg)
	}
	results := make([][]connectors.Result, len(parts))
	errs := make([]error, len(parts))
	done := make(chan struct{})
	for i := range parts {
		go func() {
			defer func() { done <- struct{}{} }()
			results[i], errs[i] = c.DeleteBatch(t.Context(), parts[i])
		}()
	}
	for range parts {
		<-done
	}
	for i := range parts {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got := outcomes(results[i]); got[connectors.OutcomeDeleted] != len(parts[i]) {
			t.Errorf("call %d: outcomes %v", i, got)
		}
	}
	st := srv.Stats()
	for mb, n := range st.MaxInflight {
		if n > 4 {
			t.Errorf("%s: %d concurrent requests, want at most 4", mb, n)
		}
	}
	if st.Throttled != 0 {
		t.Errorf("%d requests throttled: the calls did not share the mailbox limit", st.Throttled)
	}
	if st.MaxMailboxes > 2 {
		t.Errorf("%d mailboxes worked on at once, want at most parallel_mailboxes (2)", st.MaxMailboxes)
	}
	for _, mb := range mbs {
		if n := srv.Count(mb); n != 0 {
			t.Errorf("%s: %d messages left", mb, n)
		}
	}
}

// TestMissingFieldsAreNotCarriedOver: pages are decoded into a reused
// buffer; a message whose fields Graph sends as null or leaves out has
// none, not those of the message decoded before it.
func TestMissingFieldsAreNotCarriedOver(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	o.Categories = []string{"elevsag"}
	o.PageSize = 1
	next := srv.GraphURL() + "/users/anna@skole.test/messages?%24top=1&%24skiptoken=2"
	srv.Inject(graphtest.Fault{Method: http.MethodGet, Path: "/users/anna@skole.test/messages", Times: 1, Status: http.StatusOK,
		Body: `{"value":[{"id":"a","changeKey":"k1","receivedDateTime":"2020-01-02T00:00:00Z","subject":"Elev 010215-1234","categories":["Elevsag"]}],"@odata.nextLink":"` + next + `"}`})
	srv.Inject(graphtest.Fault{Method: http.MethodGet, Path: "/users/anna@skole.test/messages", Times: 1, Status: http.StatusOK,
		Body: `{"value":[{"id":"b","receivedDateTime":"2020-01-01T00:00:00Z","subject":null,"bodyPreview":null}]}`})
	items, err := listAll(t, open(t, o), connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("listed %d items, want 2", len(items))
	}
	if !slices.Contains(items[0].Labels, LabelSensitive) {
		t.Errorf("a: labels %q, want sensitive", items[0].Labels)
	}
	b := items[1]
	if want := Version("", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); b.Ref != "anna@skole.test/b" || b.Version != want || len(b.Labels) != 0 {
		t.Errorf("b: %s version %q labels %q; want version %q and no labels", b.Ref, b.Version, b.Labels, want)
	}
}
