package m365

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/m365/graphtest"
)

// fastRetry keeps tests quick; the policy's shape is what is tested.
var fastRetry = retryPolicy{Throttled: 8, Failed: 4, Backoff: 5 * time.Millisecond, MaxWait: 2 * time.Second}

// fake starts a fake Graph and returns it with options that authenticate
// to it with a client secret read from a file.
func fake(t testing.TB, mailboxes ...string) (*graphtest.Server, Options) {
	t.Helper()
	srv := graphtest.Start(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "graph.secret")
	if err := os.WriteFile(secret, []byte(srv.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CertificatePEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, m := range mailboxes {
		srv.AddUser(m)
	}
	return srv, Options{
		TenantID: srv.Tenant, ClientID: srv.ClientID, ClientSecretFile: secret,
		Mailboxes: mailboxes, GraphURL: srv.GraphURL(), LoginURL: srv.URL + "/", CAFile: ca,
	}
}

func open(t testing.TB, o Options) *Connector {
	t.Helper()
	c, err := Open(t.Context(), connectors.Env{Source: "mail", Logger: zaptest.NewLogger(t)}, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	c.retry = fastRetry
	return c
}

type fixture struct{ srv *graphtest.Server }

func split(t testing.TB, ref string) (string, string) {
	mb, id, ok := strings.Cut(ref, "/")
	if !ok {
		t.Fatalf("fixture: ref %q is not <mailbox>/<id>", ref)
	}
	return mb, id
}

func (f fixture) Put(t testing.TB, ref string, content []byte, modified time.Time) {
	mb, id := split(t, ref)
	f.srv.Put(mb, graphtest.Message{ImmutableID: id, Received: modified, LastModified: modified, Subject: string(content)})
}

func (f fixture) Modify(t testing.TB, ref string) {
	mb, id := split(t, ref)
	f.srv.Modify(mb, id)
}

func (f fixture) Remove(t testing.TB, ref string) {
	mb, id := split(t, ref)
	f.srv.Remove(mb, id)
}

func (f fixture) Exists(t testing.TB, ref string) bool {
	mb, id := split(t, ref)
	_, ok := f.srv.Get(mb, id)
	return ok
}

func (f fixture) ContainerExists(testing.TB, string) bool { return false }

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			srv, o := fake(t, connectortest.FlatContainers...)
			return open(t, o), fixture{srv}
		},
		Flat:        true,
		SizeUnknown: true,
		Concurrent:  true,
		BatchStat:   true,
	})
}

// The suite's checks also pass when every mailbox is throttled hard and
// Graph answers in pages of one.
func TestConformanceThrottledSmallPages(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			srv, o := fake(t, connectortest.FlatContainers...)
			srv.Limit, srv.RetryAfter = 1, "0.01"
			o.PageSize = 1
			return open(t, o), fixture{srv}
		},
		Flat:        true,
		SizeUnknown: true,
		Concurrent:  true,
		BatchStat:   true,
	})
}
