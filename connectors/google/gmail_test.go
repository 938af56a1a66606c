package google

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/google/googletest"
)

const (
	gAdmin = "admin@skole.test"
	gAnna  = "anna@skole.test"
	gBo    = "bo@skole.test"
)

// gmailFixture is a fake Google whose users have mailboxes, and a
// connector managing their Gmail only.
type gmailFixture struct {
	srv *googletest.Server
	c   *Connector
}

func newGmailFixture(t testing.TB, users []string, edit func(*Options)) *gmailFixture {
	t.Helper()
	srv := googletest.New()
	t.Cleanup(srv.Close)
	srv.AddUser(googletest.User{Email: gAdmin, OrgUnit: "/"})
	for _, u := range users {
		srv.AddUser(googletest.User{Email: u, OrgUnit: "/"})
		srv.EnableGmail(u)
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
	o := Options{
		KeyFile:  keyFile,
		CAFile:   caFile,
		Admin:    gAdmin,
		Users:    users,
		Drive:    &no,
		APIURL:   srv.URL,
		Keywords: []string{"trivsel", "ordblind"},
		Labels:   []string{"Elevsag"},
	}
	if edit != nil {
		edit(&o)
	}
	c, err := Open(context.Background(), connectors.Env{Logger: zaptest.NewLogger(t)}, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	c.gmail.backoff = 10 * time.Millisecond
	return &gmailFixture{srv: srv, c: c}
}

// list lists everything, returning items by ref, the containers done
// with their errors, and List's error.
func (f *gmailFixture) list(t testing.TB, opts connectors.ListOptions) (map[string]connectors.Item, map[string]error, error) {
	t.Helper()
	items := map[string]connectors.Item{}
	done := map[string]error{}
	opts.ContainerDone = func(c string, err error) { done[c] = err }
	err := f.c.List(t.Context(), opts, func(it connectors.Item) error {
		if _, dup := items[it.Ref]; dup {
			t.Errorf("%q listed twice", it.Ref)
		}
		items[it.Ref] = it
		return nil
	})
	return items, done, err
}

func (f *gmailFixture) deleteAll(t testing.TB, targets ...connectors.Target) []connectors.Result {
	t.Helper()
	rs, err := f.c.DeleteBatch(t.Context(), targets)
	if err != nil {
		t.Fatalf("DeleteBatch: %v", err)
	}
	if len(rs) != len(targets) {
		t.Fatalf("%d results for %d targets", len(rs), len(targets))
	}
	for i, r := range rs {
		if r.Ref != targets[i].Ref {
			t.Errorf("result %d is for %q, want %q", i, r.Ref, targets[i].Ref)
		}
	}
	return rs
}

var t0 = time.Date(2021, 5, 3, 9, 30, 0, 0, time.UTC)

// TestGmailConformance runs the connector conformance suite on the
// Gmail of the flat samples' users: refs are given to the suite below
// "gmail/", so a message is "<user>/<id>".
func TestGmailConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			f := newGmailFixture(t, connectortest.FlatContainers, nil)
			return &underGmail{c: f.c}, &gmailSuiteFixture{srv: f.srv}
		},
		Flat:       true,
		Concurrent: f0Concurrent(),
		BatchStat:  true,
	})
}

// f0Concurrent says whether the connector is a ConcurrentDeleter with
// more than one call at once, as the suite checks.
func f0Concurrent() bool {
	var c any = &Connector{opts: Options{ParallelUsers: 8}}
	cd, ok := c.(connectors.ConcurrentDeleter)
	return ok && cd.DeleteConcurrency() > 1
}

// underGmail shows a Connector's mailboxes with refs without "gmail/".
type underGmail struct{ c *Connector }

const gmailBase = prefixGmail + "/"

func (u *underGmail) Location() string { return u.c.Location() }
func (u *underGmail) Close() error     { return u.c.Close() }

func (u *underGmail) rel(it connectors.Item) connectors.Item {
	it.Ref = strings.TrimPrefix(it.Ref, gmailBase)
	it.Container = strings.TrimPrefix(it.Container, gmailBase)
	return it
}

func (u *underGmail) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	if opts.Prefix != "" {
		opts.Prefix = gmailBase + opts.Prefix
	}
	if opts.ContainerDone != nil {
		done := opts.ContainerDone
		opts.ContainerDone = func(c string, err error) { done(strings.TrimPrefix(c, gmailBase), err) }
	}
	if opts.Skip != nil {
		skip := map[string]bool{}
		for c, v := range opts.Skip {
			skip[gmailBase+c] = v
		}
		opts.Skip = skip
	}
	return u.c.List(ctx, opts, func(it connectors.Item) error { return fn(u.rel(it)) })
}

func (u *underGmail) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	it, err := u.c.Stat(ctx, gmailBase+ref)
	return u.rel(it), err
}

func (u *underGmail) StatBatch(ctx context.Context, refs []string) []connectors.StatResult {
	in := make([]string, len(refs))
	for i, ref := range refs {
		in[i] = gmailBase + ref
	}
	rs := u.c.StatBatch(ctx, in)
	for i := range rs {
		rs[i].Item = u.rel(rs[i].Item)
	}
	return rs
}

func (u *underGmail) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	ts := make([]connectors.Target, len(targets))
	for i, t := range targets {
		ts[i] = connectors.Target{Ref: gmailBase + t.Ref, Version: t.Version}
	}
	rs, err := u.c.DeleteBatch(ctx, ts)
	for i := range rs {
		rs[i].Ref = strings.TrimPrefix(rs[i].Ref, gmailBase)
	}
	return rs, err
}

func (u *underGmail) DeleteConcurrency() int {
	var c any = u.c
	if cd, ok := c.(connectors.ConcurrentDeleter); ok {
		return cd.DeleteConcurrency()
	}
	return 1
}

// gmailSuiteFixture arranges mailboxes: a ref "<user>/<id>" is the
// message with that id; its content's length is its size and its
// modification time its receipt.
type gmailSuiteFixture struct{ srv *googletest.Server }

func splitSuiteRef(t testing.TB, ref string) (string, string) {
	user, id, ok := strings.Cut(ref, "/")
	if !ok {
		t.Fatalf("suite ref %q is not <user>/<id>", ref)
	}
	return user, id
}

func (f *gmailSuiteFixture) Put(t testing.TB, ref string, content []byte, modified time.Time) {
	user, id := splitSuiteRef(t, ref)
	f.srv.PutMessage(user, googletest.Message{ID: id, Internal: modified, Size: int64(len(content)), Snippet: string(content)})
}

func (f *gmailSuiteFixture) Modify(t testing.TB, ref string) {
	f.srv.ModifyMessage(splitSuiteRef(t, ref))
}

func (f *gmailSuiteFixture) Remove(t testing.TB, ref string) {
	f.srv.RemoveMessage(splitSuiteRef(t, ref))
}

func (f *gmailSuiteFixture) Exists(t testing.TB, ref string) bool {
	return f.srv.HasMessage(splitSuiteRef(t, ref))
}

func (f *gmailSuiteFixture) ContainerExists(t testing.TB, ref string) bool { return false }

// TestGmailListItems: every label (Sent, Spam, Trash and the user's) is
// listed with its name; receipt, size, version; the M1 classifier's
// findings as m365 gives them (a CPR number, a keyword in the subject
// or snippet, a configured label); only mail received before
// ReceivedBefore is read, by a before: query.
func TestGmailListItems(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	cpr := f.srv.PutMessage(gAnna, googletest.Message{Labels: []string{"INBOX"}, Internal: t0, Subject: "Vedr. 010203-1234", Size: 2345})
	sent := f.srv.PutMessage(gAnna, googletest.Message{Labels: []string{"SENT"}, Internal: t0.Add(time.Hour), Subject: "Møde", Snippet: "om elevens trivsel i klassen"})
	trash := f.srv.PutMessage(gAnna, googletest.Message{Labels: []string{"TRASH"}, Internal: t0.Add(2 * time.Hour), Subject: "Frokost"})
	spam := f.srv.PutMessage(gAnna, googletest.Message{Labels: []string{"SPAM"}, Internal: t0.Add(3 * time.Hour)})
	label := f.srv.PutMessage(gAnna, googletest.Message{Labels: []string{"INBOX", "Elevsag"}, Internal: t0.Add(4 * time.Hour), Subject: "Bo"})
	young := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0.AddDate(1, 0, 0)})

	items, done, err := f.list(t, connectors.ListOptions{ReceivedBefore: t0.AddDate(0, 6, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err, ok := done[gmailBase+gAnna]; !ok || err != nil {
		t.Errorf("ContainerDone: %v, %v", ok, err)
	}
	want := map[string][]string{
		cpr:   {"INBOX", "sensitive", "sensitive: a CPR number (ddmmyy-xxxx) in the subject"},
		sent:  {"SENT", "sensitive", `sensitive: the keyword "trivsel" in the preview`},
		trash: {"TRASH"},
		spam:  {"SPAM"},
		label: {"INBOX", "Elevsag", "sensitive", `sensitive: the Gmail label "Elevsag"`},
	}
	if len(items) != len(want) {
		t.Errorf("listed %v, want the 5 old messages", refsOfItems(items))
	}
	for id, labels := range want {
		it, ok := items[gmailRef(gAnna, id)]
		if !ok {
			t.Errorf("%s not listed", id)
			continue
		}
		if !slices.Equal(it.Labels, labels) {
			t.Errorf("%s: labels %q, want %q", id, it.Labels, labels)
		}
		if it.Container != gmailBase+gAnna || it.Kind != connectors.KindMessage || it.Version == "" {
			t.Errorf("%s: %+v", id, it)
		}
	}
	if it := items[gmailRef(gAnna, cpr)]; !it.Received.Equal(t0) || it.Size != 2345 || !it.Modified.Equal(t0) {
		t.Errorf("cpr message: received %v size %d modified %v", it.Received, it.Size, it.Modified)
	}
	if _, ok := items[gmailRef(gAnna, young)]; ok {
		t.Error("a message younger than ReceivedBefore was listed")
	}
	// The young message was never read: the query left it out.
	if st := f.srv.GmailStats(gAnna); st.Get != 5 || st.Labels != 1 || st.Batches != 1 {
		t.Errorf("requests %+v: want one labels.list and 5 gets in one batch", st)
	}
	// The same source listed again gives the same items.
	again, _, err := f.list(t, connectors.ListOptions{ReceivedBefore: t0.AddDate(0, 6, 0)})
	if err != nil || fmt.Sprint(again) != fmt.Sprint(items) {
		t.Errorf("second listing differs: %v", err)
	}
	// Stat gives what List gave.
	it, err := f.c.Stat(t.Context(), gmailRef(gAnna, label))
	if err != nil || fmt.Sprint(it) != fmt.Sprint(items[gmailRef(gAnna, label)]) {
		t.Errorf("Stat: %+v, %v", it, err)
	}
}

func refsOfItems(items map[string]connectors.Item) []string {
	var rs []string
	for r := range items {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	return rs
}

// TestGmailListPaging: pages of PageSize ids, each page's metadata in
// batches; a label made after labels.list is read again.
func TestGmailListPaging(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, func(o *Options) { o.PageSize = 7 })
	for i := range 30 {
		f.srv.PutMessage(gAnna, googletest.Message{Internal: t0.Add(time.Duration(i) * time.Minute)})
	}
	f.c.gmail.batchCalls = 4
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil || len(items) != 30 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	st := f.srv.GmailStats(gAnna)
	if st.List != 5 || st.Batches != 4*2+1 || st.Get != 30 {
		t.Errorf("%+v: want 5 pages of 7 (the last of 2), 2 batches a page of 7", st)
	}
	f.srv.PutMessage(gAnna, googletest.Message{Labels: []string{"Ny mappe"}, Internal: t0})
	items, _, err = f.list(t, connectors.ListOptions{})
	if err != nil || len(items) != 31 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	found := false
	for _, it := range items {
		found = found || slices.Contains(it.Labels, "Ny mappe")
	}
	if !found {
		t.Error("the new label's name is not on its message")
	}
}

// TestGmailListFaults: a malformed page, a page token that loops and a
// message without internalDate make the mailbox incomplete (named in an
// *IncompleteError and in ContainerDone), while what was read is listed
// and the other mailbox is whole; a message that vanishes between list
// and get is skipped without error.
func TestGmailListFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults func(ids []string) googletest.GmailFaults
		listed int // of anna's 6
		fails  bool
	}{
		{"malformed page", func([]string) googletest.GmailFaults { return googletest.GmailFaults{MalformedPage: 2} }, 2, true},
		{"page token loop", func([]string) googletest.GmailFaults { return googletest.GmailFaults{LoopFromPage: 2} }, 4, true},
		{"no internalDate", func(ids []string) googletest.GmailFaults {
			return googletest.GmailFaults{NoInternalDate: map[string]bool{ids[4]: true}}
		}, 5, true},
		{"impossible internalDate", func(ids []string) googletest.GmailFaults {
			return googletest.GmailFaults{BadInternalDate: map[string]bool{ids[1]: true}}
		}, 5, true},
		{"vanished before get", func(ids []string) googletest.GmailFaults {
			return googletest.GmailFaults{VanishOnGet: map[string]bool{ids[3]: true}}
		}, 5, false},
		{"parts refused and left out", func(ids []string) googletest.GmailFaults {
			return googletest.GmailFaults{PartStatus: map[string]int{ids[0]: 429, ids[5]: 503, ids[3]: 403}, PartTimes: 2, DropPart: map[string]bool{ids[2]: true}}
		}, 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newGmailFixture(t, []string{gAnna, gBo}, func(o *Options) { o.PageSize = 2 })
			var ids []string
			for i := range 6 {
				ids = append(ids, f.srv.PutMessage(gAnna, googletest.Message{Internal: t0.Add(-time.Duration(i) * time.Minute)}))
			}
			f.srv.PutMessage(gBo, googletest.Message{Internal: t0})
			f.srv.SetGmailFaults(gAnna, tc.faults(ids))
			items, done, err := f.list(t, connectors.ListOptions{})
			var ie *connectors.IncompleteError
			if tc.fails != errors.As(err, &ie) {
				t.Fatalf("List: %v; want incomplete %v", err, tc.fails)
			}
			if tc.fails && (len(ie.Skipped) != 1 || !strings.Contains(ie.Skipped[0].Error(), gmailBase+gAnna) || done[gmailBase+gAnna] == nil) {
				t.Errorf("incomplete %v, done %v: want anna's mailbox named", ie, done)
			}
			if done[gmailBase+gBo] != nil {
				t.Errorf("bo's mailbox: %v", done[gmailBase+gBo])
			}
			n := 0
			for _, it := range items {
				if it.Container == gmailBase+gAnna {
					n++
				}
			}
			if n != tc.listed || len(items) != tc.listed+1 {
				t.Errorf("listed %d of anna's (%d in all), want %d", n, len(items), tc.listed)
			}
		})
	}
}

// TestGmailDeleteOutcomes: one DeleteBatch over two mailboxes: deleted
// (permanently: gone from the fake, Trash included), absent, changed
// (not deleted), a version the connector never gave (not deleted), a
// malformed ref, and a deletion Gmail acknowledged but did not do
// (failed, never reported deleted).
func TestGmailDeleteOutcomes(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna, gBo}, nil)
	ids := map[string]string{}
	for _, n := range []string{"del", "gone", "changed", "forged", "kept", "trash"} {
		labels := []string{"INBOX"}
		if n == "trash" {
			labels = []string{"TRASH"}
		}
		ids[n] = f.srv.PutMessage(gAnna, googletest.Message{Labels: labels, Internal: t0})
	}
	boID := f.srv.PutMessage(gBo, googletest.Message{Internal: t0})
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tg := func(user, id string) connectors.Target {
		it, ok := items[gmailRef(user, id)]
		if !ok {
			t.Fatalf("%s not listed", id)
		}
		return connectors.Target{Ref: it.Ref, Version: it.Version}
	}
	f.srv.RemoveMessage(gAnna, ids["gone"])
	f.srv.ModifyMessage(gAnna, ids["changed"])
	f.srv.SetGmailFaults(gAnna, googletest.GmailFaults{KeepOnDelete: map[string]bool{ids["kept"]: true}})
	forged := tg(gAnna, ids["forged"])
	forged.Version = "999999999"
	targets := []connectors.Target{
		tg(gAnna, ids["del"]), tg(gAnna, ids["gone"]), tg(gBo, boID), tg(gAnna, ids["changed"]), forged,
		{Ref: "gmail/" + gAnna + "/", Version: "1"}, tg(gAnna, ids["kept"]), tg(gAnna, ids["trash"]),
		{Ref: gmailRef(gAnna, ids["del"]) + "x", Version: "abc"},
	}
	rs := f.deleteAll(t, targets...)
	want := []struct {
		o    connectors.Outcome
		code connectors.Code
	}{
		{connectors.OutcomeDeleted, 0}, {connectors.OutcomeAbsent, 0}, {connectors.OutcomeDeleted, 0},
		{connectors.OutcomeChanged, 0}, {connectors.OutcomeChanged, 0}, {connectors.OutcomeFailed, connectors.CodeInvalid},
		{connectors.OutcomeFailed, connectors.CodeIO}, {connectors.OutcomeDeleted, 0}, {connectors.OutcomeChanged, 0},
	}
	for i, w := range want {
		gotOutcome(t, rs[i], w.o, w.code)
	}
	for n, id := range ids {
		exists := n == "changed" || n == "forged" || n == "kept"
		if f.srv.HasMessage(gAnna, id) != exists {
			t.Errorf("%s: in the mailbox %v, want %v", n, !exists, exists)
		}
	}
	if f.srv.HasMessage(gBo, boID) {
		t.Error("bo's message not deleted")
	}
	// One history page to check, one batchDelete, one history page to
	// verify, and one batch of gets for the message history did not show
	// deleted ("kept").
	if st := f.srv.GmailStats(gAnna); st.History != 2 || st.BatchDelete != 1 || st.Batches != 1+1 {
		t.Errorf("anna's requests %+v", st)
	}
}

func gotOutcome(t testing.TB, r connectors.Result, want connectors.Outcome, code connectors.Code) {
	t.Helper()
	if r.Outcome != want {
		t.Errorf("%q: outcome %v (err %v), want %v", r.Ref, r.Outcome, r.Err, want)
		return
	}
	if (want == connectors.OutcomeFailed || want == connectors.OutcomeHeld) && connectors.CodeOf(r.Err) != code {
		t.Errorf("%q: %v with code %v (%v), want %v", r.Ref, want, connectors.CodeOf(r.Err), r.Err, code)
	}
	if (want == connectors.OutcomeDeleted || want == connectors.OutcomeHeld) && r.Method != "purge" {
		t.Errorf("%q: method %q, want purge", r.Ref, r.Method)
	}
}

// TestGmailDeleteHistoryExpired: when Gmail no longer has the history
// since the plan (404), versions are checked message by message in a
// batch, with the same outcomes.
func TestGmailDeleteHistoryExpired(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	a := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0})
	b := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0})
	c := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0})
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.ModifyMessage(gAnna, b)
	f.srv.RemoveMessage(gAnna, c)
	f.srv.ExpireHistory(gAnna)
	f.srv.ResetGmailStats()
	var ts []connectors.Target
	for _, id := range []string{a, b, c} {
		it := items[gmailRef(gAnna, id)]
		ts = append(ts, connectors.Target{Ref: it.Ref, Version: it.Version})
	}
	rs := f.deleteAll(t, ts...)
	gotOutcome(t, rs[0], connectors.OutcomeDeleted, 0)
	gotOutcome(t, rs[1], connectors.OutcomeChanged, 0)
	gotOutcome(t, rs[2], connectors.OutcomeAbsent, 0)
	if f.srv.HasMessage(gAnna, a) || !f.srv.HasMessage(gAnna, b) {
		t.Error("wrong messages deleted")
	}
	if st := f.srv.GmailStats(gAnna); st.Profile != 1 || st.Batches != 1 || st.BatchDelete != 1 {
		t.Errorf("requests %+v: want the profile, one batch of gets, one batchDelete, history to verify", st)
	}
}

// TestGmailDeleteHeld: a user on the Vault hold list: the message is
// deleted from the mailbox but reported held, never destroyed.
func TestGmailDeleteHeld(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna, gBo}, func(o *Options) { o.Vault = "list"; o.VaultHolds = []string{gAnna} })
	a := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0})
	b := f.srv.PutMessage(gBo, googletest.Message{Internal: t0})
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ia, ib := items[gmailRef(gAnna, a)], items[gmailRef(gBo, b)]
	rs := f.deleteAll(t, connectors.Target{Ref: ia.Ref, Version: ia.Version}, connectors.Target{Ref: ib.Ref, Version: ib.Version})
	gotOutcome(t, rs[0], connectors.OutcomeHeld, connectors.CodeHeld)
	gotOutcome(t, rs[1], connectors.OutcomeDeleted, 0)
	if f.srv.HasMessage(gAnna, a) {
		t.Error("the held user's message is still in the mailbox")
	}
}

// TestGmailDeleteFailures: Gmail refusing the check or the deletion
// leaves nothing reported deleted that is not gone; a cancelled context
// attempts nothing.
func TestGmailDeleteFailures(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	a := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0})
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it := items[gmailRef(gAnna, a)]
	tg := connectors.Target{Ref: it.Ref, Version: it.Version}

	// The check refused: nothing deleted.
	fault := f.srv.Inject(googletest.Fault{Method: "GET", Path: "/history", Status: 403, Reason: "insufficientPermissions"})
	rs := f.deleteAll(t, tg)
	gotOutcome(t, rs[0], connectors.OutcomeFailed, connectors.CodePermission)
	if !f.srv.HasMessage(gAnna, a) || f.srv.GmailStats(gAnna).BatchDelete != 0 {
		t.Error("deleted without a version check")
	}
	f.srv.ClearFaults()
	_ = fault

	// batchDelete refused: failed, and the message is still there.
	f.srv.Inject(googletest.Fault{Method: "POST", Path: "/batchDelete", Status: 403, Reason: "insufficientPermissions"})
	rs = f.deleteAll(t, tg)
	gotOutcome(t, rs[0], connectors.OutcomeFailed, connectors.CodePermission)
	if !f.srv.HasMessage(gAnna, a) {
		t.Error("message gone")
	}
	f.srv.ClearFaults()

	// Cancelled: nothing attempted.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rs, err = f.c.DeleteBatch(ctx, []connectors.Target{tg})
	if err == nil {
		gotOutcome(t, rs[0], connectors.OutcomeFailed, connectors.CodeCancelled)
	}
	if !f.srv.HasMessage(gAnna, a) {
		t.Error("deleted under a cancelled context")
	}

	// And then it goes.
	rs = f.deleteAll(t, tg)
	gotOutcome(t, rs[0], connectors.OutcomeDeleted, 0)
}

// TestGmailStat: a message, a missing one, refs that List could not
// have given.
func TestGmailStat(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	a := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0, Subject: "x"})
	it, err := f.c.Stat(t.Context(), gmailRef(gAnna, a))
	if err != nil || !it.Received.Equal(t0) || it.Version == "" {
		t.Errorf("Stat: %+v, %v", it, err)
	}
	if _, err := f.c.Stat(t.Context(), gmailRef(gAnna, "0123456789abcdef")); connectors.CodeOf(err) != connectors.CodeNotFound {
		t.Errorf("missing message: %v, want not_found", err)
	}
	for _, ref := range []string{"gmail/" + gAnna, "gmail/" + gAnna + "/", "gmail/" + gAnna + "/a/b", "gmail/" + gAnna + "/.."} {
		if _, err := f.c.Stat(t.Context(), ref); connectors.CodeOf(err) != connectors.CodeInvalid {
			t.Errorf("Stat(%q): %v, want invalid", ref, err)
		}
	}
}

// TestGmailRequestsPerMessage lists and deletes every message of 20
// mailboxes of 100 messages each (DeleteBatch calls of up to 1,000
// targets of one mailbox, as ContainerChunking asks) and reports the
// HTTP requests the fake received per deleted message, token requests
// excluded and included.
func TestGmailRequestsPerMessage(t *testing.T) {
	const users, per = 20, 100
	var us []string
	for i := range users {
		us = append(us, fmt.Sprintf("elev%02d@skole.test", i))
	}
	f := newGmailFixture(t, us, nil)
	for _, u := range us {
		for i := range per {
			f.srv.PutMessage(u, googletest.Message{Internal: t0.Add(-time.Duration(i) * time.Hour), Subject: "s"})
		}
	}
	before := f.srv.Stats()
	items, _, err := f.list(t, connectors.ListOptions{ReceivedBefore: t0.Add(time.Hour)})
	if err != nil || len(items) != users*per {
		t.Fatalf("%d items, %v", len(items), err)
	}
	byUser := map[string][]connectors.Target{}
	for _, it := range items {
		byUser[it.Container] = append(byUser[it.Container], connectors.Target{Ref: it.Ref, Version: it.Version})
	}
	deleted := 0
	for _, ts := range byUser {
		for _, r := range f.deleteAll(t, ts...) {
			if r.Outcome == connectors.OutcomeDeleted {
				deleted++
			}
		}
	}
	if deleted != users*per {
		t.Fatalf("%d deleted of %d", deleted, users*per)
	}
	after := f.srv.Stats()
	st := f.srv.GmailStats("")
	perMsg := float64(st.Requests) / float64(deleted)
	all := float64(after.Requests-before.Requests) / float64(deleted)
	t.Logf("%d messages in %d mailboxes: %d Gmail requests (%d batches, %d list pages, %d history, %d batchDelete, %d labels; %d gets, %d throttled answers): %.4f a deleted message; %.4f with token and directory requests",
		deleted, users, st.Requests, st.Batches, st.List, st.History, st.BatchDelete, st.Labels, st.Get, after.Throttled-before.Throttled, perMsg, all)
	// Per mailbox of 100: labels 1, list 1, gets 2 batches of 50,
	// history 1 to check, batchDelete 1, history 1 to verify: 7, and a
	// batch more for the calls of a batch refused for quota (the
	// fake's quota and the connector's pacing are the same 250 units a
	// second, so timing alone makes a few calls arrive early).
	throttled := int(after.Throttled - before.Throttled)
	if st.Labels != users || st.List != users || st.History != 2*users || st.BatchDelete != users || st.Get != users*per ||
		st.Batches < 2*users || st.Batches > 2*users+throttled {
		t.Errorf("requests %+v, %d throttled: want per mailbox 1 labels, 1 list, 2 history, 1 batchDelete, 2 batches (+ retries)", st, throttled)
	}
}

// FuzzParseBatchResponse: the batch response parser never panics, and
// what it accepts it accepts in full: every part has a Content-ID and a
// status.
func FuzzParseBatchResponse(f *testing.F) {
	f.Add("multipart/mixed; boundary=b", "--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-0>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"id\":\"a\"}\r\n--b--\r\n")
	f.Add("multipart/mixed; boundary=b", "--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-1>\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n{\"error\":{\"code\":404}}\r\n--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-0>\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\r\n\r\n--b--\r\n")
	f.Add("multipart/mixed; boundary=b", "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--")
	f.Add("application/json", "{}")
	f.Add("multipart/mixed; boundary=b", "--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-0>\r\n\r\nHTTP/1.1 200")
	f.Fuzz(func(t *testing.T, ct, body string) {
		parts, err := parseBatchResponse(ct, strings.NewReader(body))
		if err != nil {
			if parts != nil {
				t.Errorf("parts %v with error %v", parts, err)
			}
			return
		}
		for _, p := range parts {
			if p.StatusCode < 100 || p.StatusCode > 999 || p.Header == nil {
				t.Errorf("accepted part %+v", p)
			}
		}
	})
}

// TestParseBatchResponse: a well-formed answer is read in full; a
// truncated one, a part without Content-ID or of another type fail.
func TestParseBatchResponse(t *testing.T) {
	good := "--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-1>\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{\"error\":{\"code\":404}}\r\n--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-0>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{\"id\":\"a\"}\r\n--b--\r\n"
	parts, err := parseBatchResponse("multipart/mixed; boundary=b", strings.NewReader(good))
	if err != nil || len(parts) != 2 || parts[0].ContentID != "item-1" || parts[0].StatusCode != 404 || parts[1].StatusCode != 200 || !bytes.Equal(parts[1].Body, []byte(`{"id":"a"}`)) {
		t.Fatalf("%+v, %v", parts, err)
	}
	for name, body := range map[string]string{
		"truncated":     good[:len(good)-40],
		"no content id": strings.Replace(good, "Content-ID: <response-item-0>\r\n", "", 1),
		"not http":      strings.Replace(good, "application/http", "text/plain", 1),
		"bad status":    strings.Replace(good, "HTTP/1.1 200 OK", "HTTP/1.1 OK", 1),
	} {
		if _, err := parseBatchResponse("multipart/mixed; boundary=b", strings.NewReader(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := parseBatchResponse("application/json", strings.NewReader("{}")); err == nil {
		t.Error("a JSON answer accepted as a batch")
	}
	_ = url.Values{}
}

// TestGmailQuotaStorm: Gmail allows a fifth of the rate the connector
// paces for, and refuses the first requests of each kind with 429,
// 403 userRateLimitExceeded and 503: the listing is whole and every
// message is deleted, each exactly once reported.
func TestGmailQuotaStorm(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	var ids []string
	for i := range 30 {
		ids = append(ids, f.srv.PutMessage(gAnna, googletest.Message{Internal: t0.Add(-time.Duration(i) * time.Minute)}))
	}
	f.srv.SetQuota(50, 0)
	f.srv.Inject(googletest.Fault{Method: "GET", Path: "/messages", Times: 1, Status: 429, Reason: "rateLimitExceeded", Header: map[string][]string{"Retry-After": {"1"}}})
	f.srv.Inject(googletest.Fault{Method: "POST", Path: "/batch/gmail", Times: 1, Status: 403, Reason: "userRateLimitExceeded"})
	f.srv.Inject(googletest.Fault{Method: "GET", Path: "/history", Times: 1, Status: 503})
	f.srv.Inject(googletest.Fault{Method: "POST", Path: "/batchDelete", Times: 1, Status: 500})
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil || len(items) != len(ids) {
		t.Fatalf("%d items, %v", len(items), err)
	}
	var ts []connectors.Target
	for _, id := range ids {
		it := items[gmailRef(gAnna, id)]
		ts = append(ts, connectors.Target{Ref: it.Ref, Version: it.Version})
	}
	for _, r := range f.deleteAll(t, ts...) {
		gotOutcome(t, r, connectors.OutcomeDeleted, 0)
	}
	if left := f.srv.MessageIDs(gAnna); len(left) != 0 {
		t.Errorf("%d messages left", len(left))
	}
	if f.srv.Stats().Throttled == 0 {
		t.Error("the fake's quota refused nothing: not a storm")
	}
}

// TestGmailMalformedAnswers: a batch answer cut in half fails the
// mailbox's listing (nothing of that batch listed); a history page cut
// in half at deletion deletes nothing; a history page token that loops
// deletes nothing.
func TestGmailMalformedAnswers(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	var ids []string
	for i := range 3 {
		ids = append(ids, f.srv.PutMessage(gAnna, googletest.Message{Internal: t0.Add(time.Duration(i) * time.Minute)}))
	}
	fault := f.srv.Inject(googletest.Fault{Method: "POST", Path: "/batch/gmail/v1", Times: 1, Malformed: true})
	items, done, err := f.list(t, connectors.ListOptions{})
	if err == nil || len(items) != 0 || connectors.CodeOf(done[gmailBase+gAnna]) != connectors.CodeIO || f.srv.Hits(fault) != 1 {
		t.Fatalf("cut batch answer: %d items, %v", len(items), err)
	}
	items, _, err = f.list(t, connectors.ListOptions{})
	if err != nil || len(items) != 3 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	var ts []connectors.Target
	for _, id := range ids {
		it := items[gmailRef(gAnna, id)]
		ts = append(ts, connectors.Target{Ref: it.Ref, Version: it.Version})
	}
	f.srv.Inject(googletest.Fault{Method: "GET", Path: "/history", Times: 1, Malformed: true})
	for _, r := range f.deleteAll(t, ts...) {
		if r.Outcome != connectors.OutcomeFailed {
			t.Errorf("cut history page: %q %v", r.Ref, r.Outcome)
		}
	}
	// Two history pages, the second naming the first's token again.
	page := `{"history":[],"historyId":"99999999","nextPageToken":"x"}`
	f.srv.Inject(googletest.Fault{Method: "GET", Path: "/history", Nth: 2, Times: 1, Status: 200, Body: page})
	f.srv.Inject(googletest.Fault{Method: "GET", Path: "/history", Times: 1, Status: 200, Body: page})
	for _, r := range f.deleteAll(t, ts...) {
		if r.Outcome != connectors.OutcomeFailed || !strings.Contains(fmt.Sprint(r.Err), "loop") {
			t.Errorf("looping history pages: %q %v %v", r.Ref, r.Outcome, r.Err)
		}
	}
	if got := len(f.srv.MessageIDs(gAnna)); got != 3 {
		t.Errorf("%d messages left, want all", got)
	}
	f.srv.ClearFaults()
	for _, r := range f.deleteAll(t, ts...) {
		gotOutcome(t, r, connectors.OutcomeDeleted, 0)
	}
}

// FuzzGmailRef: a ref parseGmailRef accepts is the ref of what it
// returns (the user in lower case), and ids it accepts are ids a ref can
// hold.
func FuzzGmailRef(f *testing.F) {
	for _, s := range []string{"gmail/anna@skole.test/18c2f0a1b2c3d4e5", "gmail/Anna@Skole.test/x", "gmail/anna@skole.test/", "gmail//x", "gmail/a/b/c", "drive/anna@skole.test/x", "gmail/anna@skole.test/ø ü=", "gmail/anna@skole.test/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		user, id, err := parseGmailRef(ref)
		if err != nil {
			if connectors.CodeOf(err) != connectors.CodeInvalid {
				t.Errorf("%q: %v, want invalid", ref, err)
			}
			return
		}
		if !validMessageID(id) || strings.Contains(user, "/") || user != strings.ToLower(user) {
			t.Errorf("%q: user %q id %q", ref, user, id)
		}
		if got := gmailRef(user, id); !strings.EqualFold(got, ref) || !strings.HasSuffix(ref, "/"+id) {
			t.Errorf("%q: parsed back as %q", ref, got)
		}
	})
}

// TestGmailListDuplicates: a message Gmail names twice, on one page or
// on two (the mailbox changed while it was paged), is read and listed
// once.
func TestGmailListDuplicates(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	a := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0})
	b := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0.Add(-time.Minute)})
	f.srv.PutMessage(gAnna, googletest.Message{Internal: t0.Add(-2 * time.Minute)})
	// The fake's page token names the message a page starts after; this
	// one is after nothing, so the second page is the whole mailbox.
	token := base64.RawURLEncoding.EncodeToString([]byte("99999999999999:"))
	f.srv.Inject(googletest.Fault{Method: "GET", Path: "/messages", Times: 1, Status: 200,
		Body: fmt.Sprintf(`{"messages":[{"id":%q,"threadId":%[1]q},{"id":%[1]q,"threadId":%[1]q},{"id":%q,"threadId":%[2]q}],"nextPageToken":%q}`, a, b, token)})
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil || len(items) != 3 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	if st := f.srv.GmailStats(gAnna); st.Get != 3 {
		t.Errorf("%d gets for 3 messages", st.Get)
	}
}

// TestGmailVaultAPI: Vault holds placed after the plan, read with the
// Vault API at deletion: a MAIL hold on an account or on its
// organisational unit makes its deletions held; a DRIVE hold does not.
func TestGmailVaultAPI(t *testing.T) {
	const carl = "carl@skole.test"
	f := newGmailFixture(t, []string{gAnna, gBo}, func(o *Options) {
		o.Vault = vaultAPI
		o.Users = append(o.Users, carl)
	})
	f.srv.AddUser(googletest.User{Email: carl, OrgUnit: "/Ansatte"})
	f.srv.EnableGmail(carl)
	a := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0})
	b := f.srv.PutMessage(gBo, googletest.Message{Internal: t0})
	c := f.srv.PutMessage(carl, googletest.Message{Internal: t0})
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.AddMatter(googletest.Matter{Name: "sag", Holds: []googletest.Hold{
		{Name: "anna", Corpus: "MAIL", Accounts: []string{gAnna}},
		{Name: "bo drive", Corpus: "DRIVE", Accounts: []string{gBo}},
		{Name: "ansatte", Corpus: "MAIL", OrgUnit: "/Ansatte"},
	}})
	var ts []connectors.Target
	for _, r := range []string{gmailRef(gAnna, a), gmailRef(gBo, b), gmailRef(carl, c)} {
		ts = append(ts, connectors.Target{Ref: r, Version: items[r].Version})
	}
	rs := f.deleteAll(t, ts...)
	gotOutcome(t, rs[0], connectors.OutcomeHeld, connectors.CodeHeld)
	gotOutcome(t, rs[1], connectors.OutcomeDeleted, 0)
	gotOutcome(t, rs[2], connectors.OutcomeHeld, connectors.CodeHeld)
	if f.srv.HasMessage(gAnna, a) || f.srv.HasMessage(gBo, b) || f.srv.HasMessage(carl, c) {
		t.Error("a message is still in its mailbox")
	}
}

// TestGmailCancelAfterDelete: the caller's context ends once Gmail has
// the batchDelete: what was sent is still verified, and reported
// deleted, not failed.
func TestGmailCancelAfterDelete(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	a := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0})
	items, _, err := f.list(t, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it := items[gmailRef(gAnna, a)]
	f.srv.SetLatency(200 * time.Millisecond)
	r := deleteCancelledWhen(t, f.c, connectors.Target{Ref: it.Ref, Version: it.Version}, "a batchDelete reached Gmail", func() bool { return f.srv.GmailStats(gAnna).BatchDelete > 0 })
	gotOutcome(t, r, connectors.OutcomeDeleted, 0)
	if f.srv.HasMessage(gAnna, a) {
		t.Error("message still there")
	}
}
