package ledger

import (
	"context"
	"maps"
	"testing"
	"time"
)

// TestVerifyCountsAuth: Verify counts the decisions people took by the
// method that authenticated them; automatic approvals, superseding
// rejections, the retention decision a rejection writes and entries that
// are no decision are not counted.
func TestVerifyCountsAuth(t *testing.T) {
	s := newSignerT(t, "test.invalid/ledger")
	id := testRefKey(t).Ref("identity", "https://login.example/v2.0 9b1c")
	at := t0
	var leaves [][]byte
	var tree Tree
	for _, e := range []Entry{
		{Type: TypeBatch, Batch: 1, Rule: "r", Items: 1, Actor: "it", Stages: []string{"ledere:1"}},
		{Type: TypeApproval, Batch: 1, Rule: "r", Actor: "anna", Role: "approver", Stage: 1, Auth: "oidc", Identity: id},
		{Type: TypeBatch, Batch: 2, Rule: "r", Items: 1, Actor: "retentiond"},
		{Type: TypeApproval, Batch: 2, Rule: "r", Reason: "automatic: the rule needs no approval"},
		{Type: TypeRejection, Batch: 2, Rule: "r", Reason: "superseded by plan 3"},
		{Type: TypeBatch, Batch: 3, Rule: "r", Items: 1, Actor: "it", Stages: []string{"ledere:1"}},
		{Type: TypeRejection, Batch: 3, Rule: "r", Actor: "bo", Role: "approver", Reason: "no", Auth: "trusted_cli"},
		{Type: TypeRetentionDecision, Batch: 3, Rule: "r", Decision: "D-1", Code: "rejected", Items: 1, Actor: "bo", Role: "approver",
			Reason: "no", Until: "2027-01-01", Auth: "trusted_cli"},
		{Type: TypeHoldAdded, Hold: "H-1", Actor: "it", Role: "operator", Auth: "os_user"},
		{Type: TypeHoldReleased, Hold: "H-1", Actor: "it", Role: "operator", Auth: "link"},
		{Type: TypeConfirmation, Batch: 3, Rule: "r", Actor: "it", Role: "operator"},
		{Type: TypeApproval, Batch: 3, Rule: "r", Actor: "anna", Role: "approver", Stage: 1, Auth: "typed"},
	} {
		at = at.Add(time.Second)
		e.Time = at
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, b)
		tree.Append(b)
	}
	cp := signT(t, s, Checkpoint{Origin: s.Name(), N: int64(len(leaves)), Hash: tree.Hash()})
	source := src(t, leaves, [][]byte{cp}, s)
	source.Content = NewContentRules()
	rep, err := Verify(context.Background(), source)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"oidc": 1, "trusted_cli": 1, "os_user": 1, "link": 1, "": 1, "typed": 1}
	if !maps.Equal(rep.Auth, want) {
		t.Fatalf("auth %v, want %v", rep.Auth, want)
	}
	for m, v := range map[string]bool{"os_user": true, "oidc": true, "link": true, "trusted_cli": false, "typed": false, "": false} {
		if Verified(m) != v {
			t.Errorf("Verified(%q) = %v", m, !v)
		}
	}
}
