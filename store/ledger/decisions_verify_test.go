package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// verifyCrafted signs a checkpoint over entries and verifies the ledger
// with the content rules; it returns the fault, if any.
func verifyCrafted(t *testing.T, entries []Entry) error {
	t.Helper()
	const origin = "test.invalid/ledger"
	s := newSignerT(t, origin)
	var (
		leaves [][]byte
		tree   Tree
	)
	for i, e := range entries {
		e.Time = t0.Add(time.Duration(i) * time.Second)
		b, err := e.Marshal()
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		leaves = append(leaves, b)
		tree.Append(b)
	}
	cp, err := SignCheckpoint(Checkpoint{Origin: origin, N: tree.Size(), Hash: tree.Hash()}, s)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(context.Background(), Source{Entries: sliceEntries(leaves), Checkpoints: [][]byte{cp},
		Verifiers: mustVerifiers(t, s.VerifierKey()), Content: NewContentRules()})
	return err
}

// TestVerifyExecutionAfterRejection (issue 17, finding 1): verify refuses
// an execution that starts after its batch was rejected, a second
// execution of one batch, and an execution that finishes after a
// rejection; it accepts the deletions of the chunk in flight and an
// execution_stopped after a rejection.
func TestVerifyExecutionAfterRejection(t *testing.T) {
	text := "version: 1\n"
	sum := sha256.Sum256([]byte(text))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	item := testRefKey(t).Ref("item:fileshare:s", "a.txt")
	pol := Entry{Type: TypePolicy, Policy: "p", PolicyDigest: digest, Text: text}
	batch := Entry{Type: TypeBatch, Batch: 2, Rule: "C1", Policy: "p", PolicyDigest: digest}
	approval := Entry{Type: TypeApproval, Batch: 2, Actor: "anna", Stage: 1, Role: "approver"}
	reject := Entry{Type: TypeRejection, Batch: 2, Actor: "anna", Role: "approver", Reason: "x"}
	started := Entry{Type: TypeExecutionStarted, Batch: 2, Actor: "it", Role: "operator", Items: 3}
	deletion := Entry{Type: TypeDeletion, Batch: 2, Item: item, Outcome: "deleted", Method: "delete", Approvals: []string{"anna"},
		Policy: "p", PolicyDigest: digest}
	finished := Entry{Type: TypeExecutionFinished, Batch: 2, Actor: "it", Role: "operator", Items: 1}
	stopped := Entry{Type: TypeExecutionStopped, Batch: 2, Actor: "it", Role: "operator", Reason: "rejected"}
	tests := []struct {
		name    string
		entries []Entry
		at      int64 // the entry refused, or -1
		reason  string
	}{
		{"one execution", []Entry{pol, batch, approval, started, deletion, finished}, -1, ""},
		{"rejected while the chunk in flight completes", []Entry{pol, batch, approval, started, deletion, reject, deletion, stopped}, -1, ""},
		{"started after the rejection", []Entry{pol, batch, approval, reject, started, deletion, finished}, 4, "started after its rejection at entry 3"},
		{"finished after the rejection", []Entry{pol, batch, approval, started, deletion, reject, deletion, finished}, 7, "finished after its rejection at entry 5"},
		{"second execution", []Entry{pol, batch, approval, started, deletion, finished, started, finished}, 6, "second execution of batch 2"},
		{"second start before the end", []Entry{pol, batch, approval, started, started, finished}, 4, "second execution of batch 2"},
		{"finished twice", []Entry{pol, batch, approval, started, finished, finished}, 5, "second end"},
		{"stopped twice", []Entry{pol, batch, approval, started, reject, stopped, stopped}, 6, "second end"},
		{"finished without a start", []Entry{pol, batch, approval, finished}, 3, "never started"},
		{"stopped without a reason", []Entry{pol, batch, approval, started, func() Entry { e := stopped; e.Reason = ""; return e }()}, 4, "without a reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyCrafted(t, tt.entries)
			if tt.at < 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Index != tt.at || !strings.Contains(ve.Reason, tt.reason) {
				t.Fatalf("got %v; want entry %d refused with %q", err, tt.at, tt.reason)
			}
		})
	}
}

// TestExecutionStoppedEntry: the new entry type has one canonical form.
func TestExecutionStoppedEntry(t *testing.T) {
	e := Entry{Type: TypeExecutionStopped, Time: t0, Batch: 2, Actor: "it", Reason: "rejected"}
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"execution_stopped","time":"2026-11-22T08:30:00.123Z","batch":2,"actor":"it","reason":"rejected"}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}
	back, err := Parse(b)
	if err != nil || back.Type != TypeExecutionStopped || back.Reason != "rejected" {
		t.Fatalf("parse: %+v, %v", back, err)
	}
}

// TestVerifyRefusesUnrotatedReferenceKey (issue 17, finding 6): entries
// whose references use a key id that no key_rotation entry introduced are
// refused; after a recorded rotation the new key id is accepted.
func TestVerifyRefusesUnrotatedReferenceKey(t *testing.T) {
	k1 := testRefKey(t)
	k2, err := NewRefKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	hold := func(k *RefKey, name string) Entry {
		return Entry{Type: TypeOwnerNotice, Item: k.Ref("item:fileshare:s", name), Rule: "R", Due: "2026-12-01", Role: "owner"}
	}
	rotation := Entry{Type: TypeKeyRotation, Method: KeyReference, Key: k2.ID(), Actor: "it", Role: "operator"}
	if err := verifyCrafted(t, []Entry{hold(k1, "a"), rotation, hold(k2, "b"), hold(k1, "c")}); err != nil {
		t.Fatalf("rotated reference key refused: %v", err)
	}
	err = verifyCrafted(t, []Entry{hold(k1, "a"), hold(k1, "b"), hold(k2, "c")})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Index != 2 || !strings.Contains(ve.Reason, "reference key "+k2.ID()+", which no key_rotation entry introduced") {
		t.Fatalf("swapped reference key: %v", err)
	}
	// A subject reference counts as much as an item reference.
	sub := Entry{Type: TypeInstruction, Instruction: "I-1", Rule: "L1", Subject: k2.Ref("subject", "1018"), Due: "2026-12-01"}
	if err := verifyCrafted(t, []Entry{hold(k1, "a"), sub}); !errors.As(err, &ve) || ve.Index != 1 {
		t.Fatalf("swapped key in a subject reference: %v", err)
	}
}
