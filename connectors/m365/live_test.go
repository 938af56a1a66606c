package m365

import (
	"os"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/retentiond/retentiond/connectors"
)

// TestLiveTenant runs against a real Microsoft 365 tenant when these are
// set, and reads only (it lists one mailbox and stats a message):
//
//	RETENTIOND_GRAPH_TENANT_ID, RETENTIOND_GRAPH_CLIENT_ID,
//	RETENTIOND_GRAPH_CLIENT_SECRET or RETENTIOND_GRAPH_CERTIFICATE_FILE,
//	RETENTIOND_GRAPH_MAILBOX.
func TestLiveTenant(t *testing.T) {
	env := func(k string) string { return os.Getenv("RETENTIOND_GRAPH_" + k) }
	if env("TENANT_ID") == "" || env("CLIENT_ID") == "" || env("MAILBOX") == "" || (env("CLIENT_SECRET") == "" && env("CERTIFICATE_FILE") == "") {
		t.Skip("live Graph test not run: set RETENTIOND_GRAPH_TENANT_ID, _CLIENT_ID, _CLIENT_SECRET or _CERTIFICATE_FILE, and _MAILBOX to run it against a real tenant")
	}
	o := Options{TenantID: env("TENANT_ID"), ClientID: env("CLIENT_ID"), Mailboxes: []string{env("MAILBOX")}, PageSize: 50}
	if env("CERTIFICATE_FILE") != "" {
		o.CertificateFile = env("CERTIFICATE_FILE")
	} else {
		o.ClientSecretEnv = "RETENTIOND_GRAPH_CLIENT_SECRET"
	}
	c, err := Open(t.Context(), connectors.Env{Source: "live", Logger: zaptest.NewLogger(t)}, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var first connectors.Item
	n := 0
	err = c.List(t.Context(), connectors.ListOptions{Prefix: strings.ToLower(env("MAILBOX"))}, func(it connectors.Item) error {
		if n == 0 {
			first = it
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	t.Logf("listed %d messages", n)
	if n > 0 {
		st, err := c.Stat(t.Context(), first.Ref)
		if err != nil || st.Version != first.Version {
			t.Errorf("Stat(%s) = %v, %v; want version %s", first.Ref, st.Version, err, first.Version)
		}
	}
}
