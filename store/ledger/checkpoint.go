package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is the body of a C2SP tlog-checkpoint
// (https://c2sp.org/tlog-checkpoint): the log's origin, its size N and the
// RFC 6962 root hash of its first N leaves.
type Checkpoint struct {
	Origin string // the ledger's identity, e.g. "retentiond.example.dk/school-ledger"
	N      int64
	Hash   tlog.Hash
}

// Body returns the checkpoint text:
//
//	<origin>\n<N in decimal>\n<hash in standard base64>\n
func (c Checkpoint) Body() []byte {
	b := make([]byte, 0, len(c.Origin)+64)
	b = append(b, c.Origin...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, c.N, 10)
	b = append(b, '\n')
	b = base64.StdEncoding.AppendEncode(b, c.Hash[:])
	return append(b, '\n')
}

// ParseCheckpointBody parses a checkpoint body. It is strict: the body must
// be valid UTF-8 without control characters other than newlines and end in
// a newline; the origin line must not be empty or only spaces; the size
// must be a decimal int64 without sign or leading zeros ("0" itself is
// fine); the hash must be exactly 32 bytes in canonical standard base64.
// Extension lines after the third are allowed, as C2SP says, as long as
// none is empty; they are ignored.
func ParseCheckpointBody(b []byte) (Checkpoint, error) {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return Checkpoint{}, errors.New("checkpoint: not valid UTF-8")
		}
		if r < 0x20 && r != '\n' || r == 0x7f {
			return Checkpoint{}, errors.New("checkpoint: control character in body")
		}
		i += size
	}
	text, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		return Checkpoint{}, errors.New("checkpoint: body must end with a newline")
	}
	lines := strings.Split(string(text), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, errors.New("checkpoint: want origin, size and hash lines")
	}
	var c Checkpoint
	c.Origin = lines[0]
	if strings.TrimSpace(c.Origin) == "" {
		return Checkpoint{}, errors.New("checkpoint: empty origin")
	}
	n, err := parseSize(lines[1])
	if err != nil {
		return Checkpoint{}, err
	}
	c.N = n
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize || base64.StdEncoding.EncodeToString(h) != lines[2] {
		return Checkpoint{}, fmt.Errorf("checkpoint: root hash %q is not 32 bytes of standard base64", lines[2])
	}
	copy(c.Hash[:], h)
	for _, ext := range lines[3:] {
		if ext == "" {
			return Checkpoint{}, errors.New("checkpoint: empty extension line")
		}
	}
	return c, nil
}

func parseSize(s string) (int64, error) {
	bad := s == "" || (len(s) > 1 && s[0] == '0')
	for i := 0; i < len(s) && !bad; i++ {
		bad = s[i] < '0' || s[i] > '9'
	}
	if bad {
		return 0, fmt.Errorf("checkpoint: tree size %q is not a decimal number without leading zeros", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("checkpoint: tree size %q: %w", s, err)
	}
	return n, nil
}

// SignCheckpoint returns c signed by each of signers as a note: the
// checkpoint body, a blank line and one signature line per signer. Every
// signer's name must equal c.Origin, so a ledger's key can only vouch for
// that ledger; there is more than one signer while a rotated key's overlap
// lasts. c.N must not be negative and the origin must be a valid checkpoint
// origin line.
func SignCheckpoint(c Checkpoint, signers ...*Signer) ([]byte, error) {
	if len(signers) == 0 {
		return nil, errors.New("sign checkpoint: no signing key")
	}
	ns := make([]note.Signer, 0, len(signers))
	for _, s := range signers {
		if s == nil {
			return nil, errors.New("sign checkpoint: no signing key")
		}
		if s.Name() != c.Origin {
			return nil, fmt.Errorf("sign checkpoint: key %q cannot sign for origin %q", s.Name(), c.Origin)
		}
		ns = append(ns, s.signer)
	}
	body := c.Body()
	if back, err := ParseCheckpointBody(body); err != nil || back != c {
		return nil, fmt.Errorf("sign checkpoint: size %d with origin %q does not make a valid checkpoint", c.N, c.Origin)
	}
	msg, err := note.Sign(&note.Note{Text: string(body)}, ns...)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint verifies a signed checkpoint note against the trusted keys
// v and parses its body. At least one signature must verify, and one of the
// verified signatures must be by a key named like the checkpoint's origin
// (the ledger's own key, as SignCheckpoint requires); signatures by keys
// not in v are ignored. Errors from note.Open (such as
// *note.UnverifiedNoteError and *note.InvalidSignatureError) are wrapped.
func OpenCheckpoint(msg []byte, v note.Verifiers) (Checkpoint, error) {
	c, _, err := openCheckpoint(msg, v)
	return c, err
}

// openCheckpoint is OpenCheckpoint that also returns the opened note.
func openCheckpoint(msg []byte, v note.Verifiers) (Checkpoint, *note.Note, error) {
	n, err := note.Open(msg, v)
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	if len(n.Sigs) == 0 {
		return Checkpoint{}, nil, errors.New("open checkpoint: no verified signature")
	}
	c, err := ParseCheckpointBody([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	for _, sig := range n.Sigs {
		if sig.Name == c.Origin {
			return c, n, nil
		}
	}
	return Checkpoint{}, nil, fmt.Errorf("open checkpoint: no verified signature by the key of origin %q (signed by %q)", c.Origin, n.Sigs[0].Name)
}
