package m365

import (
	"net/http"
	"testing"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/m365/graphtest"
)

// TestSendMail sends through the real SDK to the fake Graph: the message
// arrives as text, saved to Sent Items; a 429 with Retry-After is waited
// out; an unknown sender and a denied mailbox are errors that say so.
func TestSendMail(t *testing.T) {
	srv, o := fake(t, "retentiond@skole.example")
	c := open(t, o)
	throttled := srv.Inject(graphtest.Fault{Method: "POST", Path: "/sendMail", Times: 2, Status: http.StatusTooManyRequests,
		Code: "ApplicationThrottled", Header: http.Header{"Retry-After": {"0.01"}}})
	err := c.SendMail(t.Context(), "retentiond@skole.example", "Søren Ærø <soeren@skole.example>", "retentiond: 2 batches await your approval", "Batch 4 awaits your approval.\n")
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Hits(throttled); n != 2 {
		t.Errorf("throttled %d times, want 2", n)
	}
	sent := srv.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d mails sent", len(sent))
	}
	m := sent[0]
	if m.From != "retentiond@skole.example" || len(m.To) != 1 || m.To[0] != "soeren@skole.example" || m.Subject != "retentiond: 2 batches await your approval" ||
		m.ContentType != "text" || m.Content != "Batch 4 awaits your approval.\n" || !m.SaveToSentItems {
		t.Errorf("sent %+v", m)
	}

	err = c.SendMail(t.Context(), "nobody@skole.example", "soeren@skole.example", "s", "x")
	if connectors.CodeOf(err) != connectors.CodeNotFound {
		t.Errorf("from an unknown mailbox: %v", err)
	}
	srv.Deny("retentiond@skole.example", 0)
	err = c.SendMail(t.Context(), "retentiond@skole.example", "soeren@skole.example", "s", "x")
	if connectors.CodeOf(err) != connectors.CodePermission {
		t.Errorf("without Mail.Send: %v", err)
	}
	if len(srv.Sent()) != 1 {
		t.Errorf("a refused mail was recorded as sent")
	}
}
