package ledger

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"
	"strings"

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
	if len(entry) == 0 {
		return nil, fmt.Errorf("make proof of entry %d: no entry bytes", index)
	}
	// The format is read line by line, and readers (this package's among
	// them) bound a line to bufio.MaxScanTokenSize.
	if n := len("extra ") + base64.StdEncoding.EncodedLen(len(entry)); n >= bufio.MaxScanTokenSize {
		return nil, fmt.Errorf("make proof of entry %d: the entry (%d bytes) is too long for a tlog-proof's extra line", index, len(entry))
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
// index in the checkpoint's tree. Each error says which of these failed.
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
	// The origin is read before the signatures are checked, so that a proof
	// from another ledger is called that, rather than one signed by a key
	// nobody trusts.
	if body, err := PeekCheckpoint(p.Checkpoint); err == nil && origin != "" && body.Origin != origin {
		return nil, fmt.Errorf("proof's checkpoint is for ledger %q, not %q", body.Origin, origin)
	}
	if err := strictSignatures(p.Checkpoint); err != nil {
		return nil, fmt.Errorf("proof's checkpoint was altered: %w", err)
	}
	c, err := OpenCheckpoint(p.Checkpoint, v)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			var by []string
			for _, sig := range unverified.Note.UnverifiedSigs {
				by = append(by, keyName(sig.Name, sig.Hash))
			}
			return nil, fmt.Errorf("proof's checkpoint is not signed by a trusted key: it is signed only by %s, which is not among the keys given to trust", strings.Join(by, ", "))
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("proof's checkpoint was altered: the signature by the trusted key %s does not verify", keyName(invalid.Name, invalid.Hash))
		}
		return nil, fmt.Errorf("proof's checkpoint: %w", err)
	}
	if origin != "" && c.Origin != origin {
		return nil, fmt.Errorf("proof's checkpoint is for ledger %q, not %q", c.Origin, origin)
	}
	e, err := Parse(p.ExtraData)
	if err != nil {
		return nil, fmt.Errorf("proof's entry (its extra line) is not a valid ledger entry: %w", err)
	}
	if p.Index >= uint64(c.N) {
		return nil, fmt.Errorf("proof's index %d is not covered by its checkpoint of size %d", p.Index, c.N)
	}
	index := int64(p.Index)
	if want := inclusionProofLen(index, c.N); len(p.Hashes) != want {
		return nil, fmt.Errorf("proof of entry %d in a tree of size %d must have %d hashes, not %d", index, c.N, want, len(p.Hashes))
	}
	rp := make(tlog.RecordProof, len(p.Hashes))
	for i, h := range p.Hashes {
		rp[i] = h
	}
	if err := tlog.CheckRecord(rp, c.N, c.Hash, index, tlog.RecordHash(p.ExtraData)); err != nil {
		return nil, fmt.Errorf("entry %d is not in the signed tree of size %d: the entry, its index or a proof hash differs from what the checkpoint signs (%w)", index, c.N, err)
	}
	return &ProofResult{Index: index, Entry: e, Checkpoint: c}, nil
}

// inclusionProofLen is the number of hashes in the RFC 6962 inclusion
// proof of leaf i in a tree of size n, 0 <= i < n.
func inclusionProofLen(i, n int64) int {
	l := 0
	for lo, hi := int64(0), n; hi-lo > 1; l++ {
		k := int64(1) << (bits.Len64(uint64(hi-lo-1)) - 1) // the largest power of 2 below hi-lo
		if i < lo+k {
			hi = lo + k
		} else {
			lo += k
		}
	}
	return l
}

// strictSignatures refuses a signed note whose signature lines hold base64
// that is not in canonical form. note.Open decodes leniently, so the last
// character before the padding could be changed in the bits the padding
// discards and the signature would still verify: the proof's bytes would
// differ from what was signed while still verifying. Lines that are not
// signature lines are left for note.Open to refuse.
func strictSignatures(msg []byte) error {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	for n, line := range strings.Split(strings.TrimSuffix(string(msg[i+2:]), "\n"), "\n") {
		f := strings.Split(line, " ")
		if len(f) != 3 || f[0] != "\u2014" {
			continue
		}
		if b, err := base64.StdEncoding.Strict().DecodeString(f[2]); err != nil || base64.StdEncoding.EncodeToString(b) != f[2] {
			return fmt.Errorf("signature %d (by %s) is not in canonical base64", n+1, f[1])
		}
	}
	return nil
}
