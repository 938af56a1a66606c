package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

func TestContentRules(t *testing.T) {
	text := "version: 1\n"
	sum := sha256.Sum256([]byte(text))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	item := testRefKey(t).Ref("item:fileshare:s", "a.txt")
	pol := Entry{Type: TypePolicy, Time: t0, Policy: "p", PolicyDigest: digest, Text: text}
	batch := Entry{Type: TypeBatch, Time: t0, Batch: 1, Rule: "C1", Policy: "p", PolicyDigest: digest}
	approval := Entry{Type: TypeApproval, Time: t0, Batch: 1, Actor: "anna", Stage: 1}
	deletion := Entry{Type: TypeDeletion, Time: t0, Batch: 1, Item: item, Outcome: "deleted", Method: "delete", Approvals: []string{"anna"},
		Policy: "p", PolicyDigest: digest}
	with := func(e Entry, f func(*Entry)) Entry { f(&e); return e }
	subject := testRefKey(t).Ref("subject", "student:1018")
	instr := Entry{Type: TypeInstruction, Time: t0, Instruction: "I-1", Rule: "S1", Subject: subject, Due: "2026-12-10", Actor: "it"}
	withdrawn := Entry{Type: TypeInstructionWithdrawn, Time: t0, Instruction: "I-1", Rule: "S1", Subject: subject, Due: "2026-12-10", Hold: "H-1", Actor: "it"}
	tests := []struct {
		name    string
		entries []Entry
		at      int64 // the entry refused, or -1
		reason  string
	}{
		{"valid", []Entry{pol, batch, approval, deletion}, -1, ""},
		{"automatic approval", []Entry{pol, batch, with(approval, func(e *Entry) { e.Actor, e.Reason = "", "automatic: the rule needs no approval" }),
			with(deletion, func(e *Entry) { e.Approvals = []string{""} })}, -1, ""},
		{"deleted before approval", []Entry{pol, batch, deletion}, 2, "which no earlier entry approved"},
		{"execution before approval", []Entry{pol, batch, {Type: TypeExecutionStarted, Time: t0, Batch: 1}}, 2, "which no earlier entry approved"},
		{"approval of unknown batch", []Entry{pol, approval}, 1, "which no earlier batch entry records"},
		{"approver who did not approve", []Entry{pol, batch, approval, with(deletion, func(e *Entry) { e.Approvals = []string{"anna", "bo"} })}, 3, `approver "bo"`},
		{"digest without policy", []Entry{batch}, 0, "which no earlier policy entry carries"},
		{"policy text not matching digest", []Entry{with(pol, func(e *Entry) { e.Text = "version: 2\n" })}, 0, "does not match its text"},
		{"batch twice", []Entry{pol, batch, batch}, 2, "already recorded at entry 1"},
		{"unknown outcome", []Entry{pol, batch, approval, with(deletion, func(e *Entry) { e.Outcome = "vanished" })}, 3, "not one of the enumerated outcomes"},
		{"unknown code", []Entry{pol, batch, approval, with(deletion, func(e *Entry) { e.Outcome, e.Code = "failed", "disk_on_fire" })}, 3, "enumerated failure codes"},
		{"unknown method", []Entry{pol, batch, approval, with(deletion, func(e *Entry) { e.Method = "shred" })}, 3, "enumerated methods"},
		{"deletion without item", []Entry{pol, batch, approval, with(deletion, func(e *Entry) { e.Item = "" })}, 3, "item reference"},
		{"hold without id", []Entry{{Type: TypeHoldAdded, Time: t0}}, 0, "without a hold id"},
		{"owner notice", []Entry{{Type: TypeOwnerNotice, Time: t0, Item: item, Rule: "R", Due: "2026-11-16", Role: "owner"}}, -1, ""},
		{"owner notice to the operators", []Entry{{Type: TypeOwnerNotice, Time: t0, Item: item, Rule: "R", Due: "2026-11-16", Role: "operator"}}, -1, ""},
		{"owner notice without item", []Entry{{Type: TypeOwnerNotice, Time: t0, Rule: "R", Due: "2026-11-16", Role: "owner"}}, 0, "must name an item reference"},
		{"owner notice to nobody", []Entry{{Type: TypeOwnerNotice, Time: t0, Item: item, Rule: "R", Due: "2026-11-16"}}, 0, "who was told"},
		{"rotation without key", []Entry{{Type: TypeKeyRotation, Time: t0, Method: KeySigning}}, 0, "must name the new key"},
		{"instruction line withdrawn", []Entry{instr, withdrawn}, -1, ""},
		{"withdrawn line of an instruction never issued", []Entry{withdrawn}, 0, "which no earlier entry issued"},
		{"withdrawn without the hold", []Entry{instr, with(withdrawn, func(e *Entry) { e.Hold = "" })}, 1, "the hold that withdrew the line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewContentRules()
			at, reason := int64(-1), ""
			for i, e := range tt.entries {
				e.Time = t0.Add(time.Duration(i) * time.Second)
				if reason = r.Check(int64(i), &e); reason != "" {
					at = int64(i)
					break
				}
			}
			if at != tt.at || !strings.Contains(reason, tt.reason) {
				t.Fatalf("refused entry %d (%q); want %d (%q)", at, reason, tt.at, tt.reason)
			}
		})
	}
}

// TestKeyRotationChain: a verifier trusting only the first key follows a
// rotation recorded in the ledger and co-signed, and refuses a checkpoint
// after the rotation that only the retired key signed.
func TestKeyRotationChain(t *testing.T) {
	const origin = "test.invalid/ledger"
	old, next := newSignerT(t, origin), newSignerT(t, origin)
	var leaves [][]byte
	var tree Tree
	add := func(e Entry) {
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, b)
		tree.Append(b)
	}
	cp := func(signers ...*Signer) []byte {
		msg, err := SignCheckpoint(Checkpoint{Origin: origin, N: tree.Size(), Hash: tree.Hash()}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	add(Entry{Type: TypeHoldAdded, Time: t0, Hold: "H-1"})
	cp1 := cp(old)
	add(Entry{Type: TypeKeyRotation, Time: t0, Method: KeySigning, Key: next.VerifierKey(), Period: "P30D"})
	cp2 := cp(old, next)
	add(Entry{Type: TypeHoldReleased, Time: t0, Hold: "H-1"})
	cp3 := cp(next)
	verify := func(cps ...[]byte) error {
		_, err := Verify(context.Background(), Source{Entries: sliceEntries(leaves[:cpSize(t, cps[len(cps)-1])]), Checkpoints: cps,
			Verifiers: mustVerifiers(t, old.VerifierKey()), Content: NewContentRules()})
		return err
	}
	if err := verify(cp1, cp2, cp3); err != nil {
		t.Fatalf("rotation chain: %v", err)
	}
	// The retired key alone cannot vouch for entries after the rotation.
	add(Entry{Type: TypeHoldAdded, Time: t0, Hold: "H-2"})
	cp4 := cp(old)
	var ve *VerifyError
	if err := verify(cp1, cp2, cp3, cp4); !errors.As(err, &ve) || !strings.Contains(ve.Reason, "retired key cannot vouch") {
		t.Fatalf("checkpoint by the retired key alone: %v", err)
	}
	// A rotation that the old key never co-signed is not followed.
	tree, leaves = Tree{}, nil
	add(Entry{Type: TypeHoldAdded, Time: t0, Hold: "H-1"})
	add(Entry{Type: TypeKeyRotation, Time: t0, Method: KeySigning, Key: next.VerifierKey()})
	if err := verify(cp(next)); !errors.As(err, &ve) || !strings.Contains(ve.Reason, "signature does not verify") {
		t.Fatalf("unendorsed rotation: %v", err)
	}
}

func cpSize(t *testing.T, msg []byte) int {
	c, err := PeekCheckpoint(msg)
	if err != nil {
		t.Fatal(err)
	}
	return int(c.N)
}

func mustVerifiers(t *testing.T, keys ...string) note.Verifiers {
	v, err := NewVerifiers(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
