package anchor

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"

	"github.com/retentiond/retentiond/scheduler/mailer"
)

// Markers around the checkpoint in the text of the e-mail.
const (
	BeginMarker = "-----BEGIN RETENTIOND CHECKPOINT-----"
	EndMarker   = "-----END RETENTIOND CHECKPOINT-----"
)

// Message builds the e-mail for cp from from to the recipients to (each
// bare or with a display name): a multipart/mixed message whose first part
// (text/plain, quoted-printable) says what the checkpoint is and how to
// verify the ledger against it, then holds the note verbatim between
// BeginMarker and EndMarker lines; the second part is the note as an
// attachment named FileName(cp.Origin, cp.N), base64-encoded so that it
// arrives byte for byte. Date is cp.At; Message-ID is derived from the
// checkpoint, so the same checkpoint always gets the same one. The message
// depends only on the arguments.
func Message(from string, to []string, cp Checkpoint) ([]byte, error) {
	if err := cp.check(); err != nil {
		return nil, err
	}
	if cp.At.IsZero() {
		return nil, fmt.Errorf("checkpoint %d has no time for the e-mail's date", cp.N)
	}
	fromAddr, err := mailer.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("e-mail sender: %w", err)
	}
	toAddrs := make([]string, len(to))
	for i, a := range to {
		addr, err := mailer.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("e-mail recipient: %w", err)
		}
		toAddrs[i] = mailer.HeaderAddress(addr)
	}
	sum := sha256.Sum256(cp.Note)
	name := FileName(cp.Origin, cp.N)

	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	// "=_" never occurs in quoted-printable or base64 text, so the
	// boundary cannot occur in a part.
	if err := mw.SetBoundary("=_retentiond_" + hex.EncodeToString(sum[:12])); err != nil {
		return nil, fmt.Errorf("set mime boundary: %w", err)
	}
	h := []struct{ k, v string }{
		{"From", mailer.HeaderAddress(fromAddr)},
		{"To", strings.Join(toAddrs, ", ")},
		{"Subject", mime.QEncoding.Encode("utf-8", fmt.Sprintf("retentiond ledger checkpoint: %s, size %d", cp.Origin, cp.N))},
		{"Date", cp.At.Format(time.RFC1123Z)},
		{"Message-ID", fmt.Sprintf("<checkpoint.%d.%s.%s@%s>", cp.N, cp.At.UTC().Format("20060102T150405.000000000Z"),
			hex.EncodeToString(sum[:8]), mailer.MessageIDDomain(fromAddr.Address))},
		{"MIME-Version", "1.0"},
		{"Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()})},
		{"X-Retentiond-Origin", mime.QEncoding.Encode("utf-8", cp.Origin)},
		{"X-Retentiond-Tree-Size", fmt.Sprint(cp.N)},
	}
	for _, f := range h {
		fmt.Fprintf(&b, "%s: %s\r\n", f.k, f.v)
	}
	b.WriteString("\r\n")

	text, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return nil, fmt.Errorf("create e-mail text: %w", err)
	}
	qp := quotedprintable.NewWriter(text)
	fmt.Fprintf(qp, `This e-mail anchors a signed checkpoint of the retentiond deletion
ledger %s: the state of its first %d entries,
signed at %s.

Keep this e-mail, or its attachment

    %s

where the administrators of the host running retentiond cannot change
it. With it, an auditor can later detect a rewritten ledger history,
even one re-signed with the ledger's own key. Save the attachment and
run

    retentiond ledger verify --anchor %s

with the ledger's configuration (--config), or followed by a directory
made by 'retentiond ledger export'. Verification fails if the ledger no
longer holds the history this checkpoint commits to.

The checkpoint, a signed note (https://c2sp.org/tlog-checkpoint),
follows verbatim between the marker lines; the attachment holds the
same bytes.

%s
`, cp.Origin, cp.N, cp.At.UTC().Format(time.RFC3339), name, name, BeginMarker)
	qp.Write(cp.Note)
	if !bytes.HasSuffix(cp.Note, []byte("\n")) {
		qp.Write([]byte("\n"))
	}
	fmt.Fprintf(qp, "%s\n", EndMarker)
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("write e-mail text: %w", err)
	}

	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType("text/plain", map[string]string{"charset": "utf-8", "name": name})},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return nil, fmt.Errorf("create e-mail attachment: %w", err)
	}
	enc := base64.StdEncoding.EncodeToString(cp.Note)
	for len(enc) > 76 {
		fmt.Fprintf(att, "%s\r\n", enc[:76])
		enc = enc[76:]
	}
	fmt.Fprintf(att, "%s\r\n", enc)
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("finish e-mail: %w", err)
	}
	return b.Bytes(), nil
}
