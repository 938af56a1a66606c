package google

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/gmail/v1"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/google/googletest"
)

// TestLiveDomain runs against a real Google Workspace domain when these
// are set:
//
//	RETENTIOND_GOOGLE_KEY_FILE   the service account's JSON key, with
//	                             domain-wide delegation of the scopes in
//	                             docs/operators/sources.md
//	RETENTIOND_GOOGLE_ADMIN      the administrator impersonated for the
//	                             directory
//	RETENTIOND_GOOGLE_USERS      users to read, comma-separated
//
// RETENTIOND_GOOGLE_API_URL and _CA_FILE optionally name another endpoint
// (a private one, or bench/googlebench -serve's fake) and its CA.
//
// It only reads: for each user it lists up to 200 messages and 200 Drive
// files and stats the first of each (same version). With
// RETENTIOND_GOOGLE_SACRIFICE, an account whose mail and Drive may be
// changed, it also inserts an old message and creates a file there
// (subtests gmail and drive), finds each by listing, changes it (a label;
// the Trash) and checks that DeleteBatch at the listed version leaves it
// (changed), then deletes it at its new version, checks that it is gone
// and that a second deletion finds it absent. Without the variables (and
// so in CI) it skips and says which to set.
func TestLiveDomain(t *testing.T) {
	env := func(k string) string { return strings.TrimSpace(os.Getenv("RETENTIOND_GOOGLE_" + k)) }
	if env("KEY_FILE") == "" || env("ADMIN") == "" || env("USERS") == "" {
		t.Skip("live Google test not run: set RETENTIOND_GOOGLE_KEY_FILE, _ADMIN and _USERS (and _SACRIFICE to delete there) to run it against a real domain")
	}
	var users []string
	for _, u := range strings.Split(env("USERS"), ",") {
		if u = strings.ToLower(strings.TrimSpace(u)); u != "" {
			users = append(users, u)
		}
	}
	o := Options{KeyFile: env("KEY_FILE"), Admin: env("ADMIN"), Users: users, APIURL: env("API_URL"), CAFile: env("CA_FILE")}
	if env("VAULT") == "api" {
		o.Vault = "api"
	}
	liveRun(t, o, strings.ToLower(env("SACRIFICE")))
}

// TestLivePathAgainstFake runs what TestLiveDomain runs, sacrificial
// account included, against the fake Google, so that the live test's own
// code is checked with every go test and does not wait for a real domain
// to show that it is wrong.
func TestLivePathAgainstFake(t *testing.T) {
	srv := googletest.New()
	t.Cleanup(srv.Close)
	srv.AddUser(googletest.User{Email: "it@skole.test"})
	users := []string{"anna@skole.test", "offer@skole.test"}
	for _, u := range users {
		srv.AddUser(googletest.User{Email: u})
		srv.AddDrive(u)
		for i := range 3 {
			srv.PutMessage(u, googletest.Message{Internal: time.Date(2021, 3, i+1, 9, 0, 0, 0, time.UTC), Subject: "Referat", Snippet: "Hej"})
			srv.PutFile(u, fmt.Sprintf("Mappe/fil-%d.txt", i), googletest.File{Content: []byte("indhold")})
		}
	}
	dir := t.TempDir()
	key, ca := filepath.Join(dir, "key.json"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(key, srv.Key(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, srv.CertificatePEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	liveRun(t, Options{KeyFile: key, Admin: "it@skole.test", Users: slices.Clone(users[:1]), APIURL: srv.URL, CAFile: ca}, users[1])
	for _, u := range users {
		if n := len(srv.MessageIDs(u)); n != 3 {
			t.Errorf("%s has %d messages after the live test, want its 3 (the inserted one deleted, nothing else)", u, n)
		}
		if _, ok := srv.FileID(u, "Mappe/fil-0.txt"); !ok {
			t.Errorf("%s lost a file the live test did not create", u)
		}
	}
}

// liveRun opens the connector for o's users and the sacrificial account
// (none: ""), reads each user, and deletes in the sacrificial account.
func liveRun(t *testing.T, o Options, sacrifice string) {
	if sacrifice != "" && !slices.Contains(o.Users, sacrifice) {
		o.Users = append(o.Users, sacrifice)
	}
	o.PageSize = 100
	c, err := Open(t.Context(), connectors.Env{Source: "live", Logger: zaptest.NewLogger(t)}, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer c.Close()

	errEnough := errors.New("enough")
	for _, u := range o.Users {
		for _, prefix := range []string{prefixGmail + "/" + u, prefixDrive + "/" + u} {
			var first connectors.Item
			n := 0
			err := c.List(t.Context(), connectors.ListOptions{Prefix: prefix}, func(it connectors.Item) error {
				if !strings.HasPrefix(it.Ref, prefix+"/") {
					return fmt.Errorf("listed %s under %s", it.Ref, prefix)
				}
				if n == 0 {
					first = it
				}
				if n++; n == 200 {
					return errEnough
				}
				return nil
			})
			if err != nil && !errors.Is(err, errEnough) {
				t.Fatalf("List %s: %v", prefix, err)
			}
			t.Logf("%s: listed %d items (at most 200 read)", prefix, n)
			if n == 0 {
				continue
			}
			st, err := c.Stat(t.Context(), first.Ref)
			if err != nil || st.Version != first.Version {
				t.Errorf("Stat(%s) = version %q, %v; want version %q", first.Ref, st.Version, err, first.Version)
			}
		}
	}
	if sacrifice == "" {
		return
	}
	liveDelete(t, c, sacrifice)
}

// liveDelete inserts a message and creates a file in the sacrificial
// account, finds each by listing as a plan does, checks that a change
// after listing keeps it, and deletes it.
func liveDelete(t *testing.T, c *Connector, user string) {
	stamp := time.Now().UTC().Format("20060102T150405.000000000")
	t.Run("gmail", func(t *testing.T) {
		ctx := t.Context()
		gs, err := c.gmailFor(ctx, user)
		if err != nil {
			t.Fatalf("gmail client for %s: %v", user, err)
		}
		// An old message (its Date header in 2019 is its internal date),
		// so that a listing of mail received before 2020 finds it.
		raw := "From: retentiond <" + user + ">\r\nTo: " + user + "\r\nSubject: retentiond live test " + stamp +
			"\r\nDate: Tue, 1 Jan 2019 10:00:00 +0000\r\nMessage-ID: <" + stamp + "@retentiond.invalid>\r\n\r\nInserted by TestLiveDomain; it deletes it.\r\n"
		msg, err := gs.Users.Messages.Insert(user, &gmail.Message{Raw: base64.URLEncoding.EncodeToString([]byte(raw)), LabelIds: []string{"INBOX"}}).
			InternalDateSource("dateHeader").Context(ctx).Do()
		if err != nil {
			t.Fatalf("insert a message for %s: %v", user, err)
		}
		t.Cleanup(func() { gs.Users.Messages.Delete(user, msg.Id).Do() }) // fails quietly once deleted
		ref := prefixGmail + "/" + user + "/" + msg.Id
		before := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		tg := liveFind(t, c, connectors.ListOptions{Prefix: prefixGmail + "/" + user, ReceivedBefore: before}, func(r string) bool { return r == ref })
		liveDeleteChanged(t, c, tg, func() error {
			_, err := gs.Users.Messages.Modify(user, msg.Id, &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}}).Context(ctx).Do()
			return err
		})
	})
	t.Run("drive", func(t *testing.T) {
		ctx := t.Context()
		ds, err := c.driveFor(ctx, user)
		if err != nil {
			t.Fatalf("drive client for %s: %v", user, err)
		}
		name := "retentiond-live-" + stamp + ".txt"
		file, err := ds.Files.Create(&drive.File{Name: name}).Media(strings.NewReader("retentiond live test\n")).Fields("id").Context(ctx).Do()
		if err != nil {
			t.Fatalf("create a Drive file for %s: %v", user, err)
		}
		t.Cleanup(func() { ds.Files.Delete(file.Id).Do() }) // fails quietly once deleted
		tg := liveFind(t, c, connectors.ListOptions{Prefix: prefixDrive + "/" + user}, func(r string) bool { return strings.HasSuffix(r, "/"+name) })
		// Trashed after listing: another version (trashed files are still
		// listed, and purged when due).
		liveDeleteChanged(t, c, tg, func() error {
			_, err := ds.Files.Update(file.Id, &drive.File{Trashed: true}).Context(ctx).Do()
			return err
		})
	})
}

// liveFind lists with opts and returns the one item whose ref matches.
func liveFind(t *testing.T, c *Connector, opts connectors.ListOptions, match func(ref string) bool) connectors.Target {
	t.Helper()
	var found []connectors.Target
	err := c.List(t.Context(), opts, func(it connectors.Item) error {
		if match(it.Ref) {
			found = append(found, connectors.Target{Ref: it.Ref, Version: it.Version})
		}
		return nil
	})
	if err != nil || len(found) != 1 {
		t.Fatalf("listing %s found the created item %d times: %v", opts.Prefix, len(found), err)
	}
	return found[0]
}

// liveDeleteChanged changes the listed item with change, checks that
// DeleteBatch at the listed version leaves it (changed), then deletes it
// at its new version, checks that it is gone, and that deleting it again
// finds it absent.
func liveDeleteChanged(t *testing.T, c *Connector, tg connectors.Target, change func() error) {
	t.Helper()
	ctx := t.Context()
	if err := change(); err != nil {
		t.Fatalf("change %s: %v", tg.Ref, err)
	}
	rs, err := c.DeleteBatch(ctx, []connectors.Target{tg})
	if err != nil || len(rs) != 1 || rs[0].Outcome != connectors.OutcomeChanged {
		t.Fatalf("DeleteBatch of %s changed since listing = %+v, %v; want changed", tg.Ref, rs, err)
	}
	st, err := c.Stat(ctx, tg.Ref)
	if err != nil || st.Version == tg.Version {
		t.Fatalf("Stat(%s) after the change = version %q, %v; want another than %q", tg.Ref, st.Version, err, tg.Version)
	}
	tg.Version = st.Version
	rs, err = c.DeleteBatch(ctx, []connectors.Target{tg})
	if err != nil || len(rs) != 1 || rs[0].Outcome != connectors.OutcomeDeleted && rs[0].Outcome != connectors.OutcomeHeld {
		t.Fatalf("DeleteBatch(%s) = %+v, %v; want deleted (or held, under a Vault hold)", tg.Ref, rs, err)
	}
	if _, err := c.Stat(ctx, tg.Ref); connectors.CodeOf(err) != connectors.CodeNotFound {
		t.Errorf("Stat(%s) after deletion: %v; want not found", tg.Ref, err)
	}
	rs, err = c.DeleteBatch(ctx, []connectors.Target{tg})
	if err != nil || len(rs) != 1 || rs[0].Outcome != connectors.OutcomeAbsent {
		t.Errorf("%s deleted again: %+v, %v; want absent", tg.Ref, rs, err)
	}
}
