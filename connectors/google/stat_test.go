package google

import (
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/google/googletest"
)

// TestGmailStatBatch checks that StatBatch reads a mailbox's messages in
// HTTP batches of 50 gets, answers each as Stat does (a missing message
// not found, a malformed ref invalid, a message asked twice twice), and
// sends no get outside a batch.
func TestGmailStatBatch(t *testing.T) {
	f := newGmailFixture(t, []string{gAnna}, nil)
	var refs []string
	for i := range 120 {
		id := f.srv.PutMessage(gAnna, googletest.Message{Internal: t0.Add(-time.Duration(i) * time.Hour), Subject: "s"})
		refs = append(refs, gmailRef(gAnna, id))
	}
	refs = append(refs, gmailRef(gAnna, "0123456789abcdef"), "gmail/"+gAnna+"/a/b", refs[0])
	f.srv.ResetGmailStats()
	rs := f.c.StatBatch(t.Context(), refs)
	st := f.srv.GmailStats(gAnna)
	if st.Batches != 3 || st.Get != 121 || st.Requests-st.Batches-st.Labels != 0 {
		t.Errorf("requests %+v: want 3 batches of the 121 distinct messages' gets and nothing else but labels", st)
	}
	for i, ref := range refs {
		want, werr := f.c.Stat(t.Context(), ref)
		got := rs[i]
		switch {
		case werr != nil || got.Err != nil:
			if connectors.CodeOf(got.Err) != connectors.CodeOf(werr) {
				t.Errorf("%s: %v, Stat: %v", ref, got.Err, werr)
			}
		case got.Item.Ref != ref || got.Item.Version != want.Version || !got.Item.Received.Equal(want.Received):
			t.Errorf("%s: %+v, Stat: %+v", ref, got.Item, want)
		}
	}
	if connectors.CodeOf(rs[120].Err) != connectors.CodeNotFound || connectors.CodeOf(rs[121].Err) != connectors.CodeInvalid {
		t.Errorf("missing: %v; malformed: %v", rs[120].Err, rs[121].Err)
	}
}
