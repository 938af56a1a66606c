package ledger

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A single-item proof answers "was this item deleted?" without the rest of
// the ledger: a C2SP tlog-proof (https://c2sp.org/tlog-proof) of the entry
// at an index against a signed checkpoint, with the entry's canonical bytes
// as the proof's extra data, so that the file is self-contained. The format
// is read and written by github.com/transparency-dev/formats/proof.

// MakeProof returns the tlog-proof of entry (the canonical bytes of leaf
// index) against the signed checkpoint cpNote of size treeSize, reading the
// tree's stored hashes from hr.
func MakeProof(index int64, entry []byte, cpNote []byte, treeSize int64, hr tlog.HashReader) ([]byte, error) {
	if index < 0 || index >= treeSize {
		return nil, fmt.Errorf("make proof: entry %d is not covered by a checkpoint of size %d", index, treeSize)
	}
	rp, err := tlog.ProveRecord(treeSize, index, hr)
	if err != nil {
		return nil, fmt.Errorf("make proof of entry %d: %w", index, err)
	}
	p := proof.TLogProof{Index: uint64(index), Checkpoint: cpNote, ExtraData: bytes.Clone(entry)}
	for _, h := range rp {
		p.Hashes = append(p.Hashes, h)
	}
	return p.Marshal(), nil
}

// ProofResult is what a verified proof shows.
type ProofResult struct {
	Index      int64
	Entry      Entry
	Checkpoint Checkpoint
}

// VerifyProof checks a tlog-proof offline: the checkpoint must be signed by
// a key in v with origin (if set) as its origin, the extra data must be a
// canonical entry, and the inclusion proof must place that entry at the
// index in the checkpoint's tree.
func VerifyProof(b []byte, v note.Verifiers, origin string) (*ProofResult, error) {
	var p proof.TLogProof
	if err := p.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("proof does not parse: %w", err)
	}
	if !bytes.Equal(p.Marshal(), b) {
		return nil, errors.New("proof is not in the canonical tlog-proof form (stray bytes, or base64 with non-zero padding bits)")
	}
	if p.ExtraData == nil {
		return nil, errors.New("proof carries no entry (its extra line is missing)")
	}
	c, err := OpenCheckpoint(p.Checkpoint, v)
	if err != nil {
		return nil, fmt.Errorf("proof's checkpoint: %w", err)
	}
	if origin != "" && c.Origin != origin {
		return nil, fmt.Errorf("proof's checkpoint is for ledger %q, not %q", c.Origin, origin)
	}
	e, err := Parse(p.ExtraData)
	if err != nil {
		return nil, fmt.Errorf("proof's entry: %w", err)
	}
	if p.Index >= uint64(c.N) {
		return nil, fmt.Errorf("proof's entry %d is not covered by the checkpoint of size %d", p.Index, c.N)
	}
	rp := make(tlog.RecordProof, len(p.Hashes))
	for i, h := range p.Hashes {
		rp[i] = h
	}
	if err := tlog.CheckRecord(rp, c.N, c.Hash, int64(p.Index), tlog.RecordHash(p.ExtraData)); err != nil {
		return nil, fmt.Errorf("entry %d is not in the signed tree of size %d: %w", p.Index, c.N, err)
	}
	return &ProofResult{Index: int64(p.Index), Entry: e, Checkpoint: c}, nil
}
