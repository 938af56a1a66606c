package ledger

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is the body of a C2SP tlog-checkpoint: the log's origin, its
// size and its root hash.
type Checkpoint struct {
	Origin string
	N      int64
	Hash   tlog.Hash
}

// Body returns the checkpoint text: "<origin>\n<N>\n<base64 hash>\n".
func (c Checkpoint) Body() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.N, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpointBody parses a checkpoint body. Extension lines after the
// third are allowed, as C2SP says, and ignored.
func ParseCheckpointBody(b []byte) (Checkpoint, error) {
	if !bytes.HasSuffix(b, []byte("\n")) {
		return Checkpoint{}, fmt.Errorf("checkpoint: must end with a newline")
	}
	lines := strings.Split(string(b[:len(b)-1]), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("checkpoint: want origin, size and hash lines")
	}
	var c Checkpoint
	c.Origin = lines[0]
	if strings.TrimSpace(c.Origin) == "" || strings.ContainsAny(c.Origin, "\r\t") {
		return Checkpoint{}, fmt.Errorf("checkpoint: empty or invalid origin")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad tree size %q", lines[1])
	}
	c.N = n
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize || base64.StdEncoding.EncodeToString(h) != lines[2] {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad root hash %q", lines[2])
	}
	copy(c.Hash[:], h)
	for _, ext := range lines[3:] {
		if ext == "" {
			return Checkpoint{}, fmt.Errorf("checkpoint: empty extension line")
		}
	}
	return c, nil
}

// SignCheckpoint signs c as a note. The signer's name must be c.Origin.
func SignCheckpoint(s *Signer, c Checkpoint) ([]byte, error) {
	if s.Name() != c.Origin {
		return nil, fmt.Errorf("sign checkpoint: key %q cannot sign for origin %q", s.Name(), c.Origin)
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Body())}, s.signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint verifies a signed checkpoint against verifiers and parses
// it; at least one signature must verify.
func OpenCheckpoint(msg []byte, v note.Verifiers) (Checkpoint, error) {
	n, err := note.Open(msg, v)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("open checkpoint: %w", err)
	}
	if len(n.Sigs) == 0 {
		return Checkpoint{}, fmt.Errorf("open checkpoint: no verified signature")
	}
	return ParseCheckpointBody([]byte(n.Text))
}
