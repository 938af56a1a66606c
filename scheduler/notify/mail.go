// Package notify tells people what needs them: approvers when a batch
// awaits their approval (and again while it waits), operators when a
// source or a batch fails, when items are overdue and when a deletion
// instruction is. Each message is sent once; what the relay did not take
// is tried again at the next look. Messages carry counts, rules and the
// commands to run, never the names or paths of the people whose data a
// batch holds: e-mail is not where that belongs.
package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/scheduler/mailer"
)

// Mail is one plain-text e-mail to one person.
type Mail struct {
	To      string // address, bare or with a display name
	Subject string
	Text    string
}

// Sender delivers mail: through an SMTP relay (SMTP), or with Microsoft
// Graph's sendMail (connectors/m365). Send returns only once the mail is
// accepted for delivery; an error means it was not sent.
type Sender interface {
	Send(ctx context.Context, m Mail) error
}

// SMTP sends mail through a relay.
type SMTP struct {
	Relay mailer.Relay
	Now   func() time.Time // the Date header
	// Log receives a warning when a mail goes out unencrypted under
	// StartTLS "opportunistic"; nil logs nothing.
	Log *zap.Logger
}

var _ Sender = SMTP{}

// Send implements Sender.
func (s SMTP) Send(ctx context.Context, m Mail) error {
	msg, err := Compose(s.Relay.From, m, s.Now())
	if err != nil {
		return err
	}
	return mailer.Deliver(ctx, s.Relay, s.Log, "mail notification", []string{m.To}, msg)
}

// Compose builds the RFC 5322 message for m from from, dated at: UTF-8
// text, quoted-printable, the subject encoded for non-ASCII (æ, ø, å).
func Compose(from string, m Mail, at time.Time) ([]byte, error) {
	f, err := mailer.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("e-mail sender: %w", err)
	}
	to, err := mailer.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("e-mail recipient: %w", err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fmt.Errorf("e-mail subject %q has a line break", m.Subject)
	}
	sum := sha256.Sum256([]byte(to.Address + "\x00" + m.Subject + "\x00" + m.Text))
	var b bytes.Buffer
	for _, h := range []struct{ k, v string }{
		{"From", mailer.HeaderAddress(f)},
		{"To", mailer.HeaderAddress(to)},
		{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		{"Date", at.Format(time.RFC1123Z)},
		{"Message-ID", fmt.Sprintf("<notify.%s.%s@%s>", at.UTC().Format("20060102T150405Z"), hex.EncodeToString(sum[:8]), mailer.MessageIDDomain(f.Address))},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
		{"Auto-Submitted", "auto-generated"}, // RFC 3834: no vacation replies
	} {
		b.WriteString(fold(h.k + ": " + h.v))
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(m.Text, "\r\n", "\n")
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("write e-mail text: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("write e-mail text: %w", err)
	}
	return b.Bytes(), nil
}

// fold folds a header line at spaces so that its lines stay within 78
// octets where a space allows (RFC 5322, 2.2.3); the encoded words of a
// long subject are separated by spaces.
func fold(line string) string {
	var b strings.Builder
	for len(line) > 78 {
		i := strings.LastIndexByte(line[:79], ' ')
		if i <= 0 {
			i = strings.IndexByte(line, ' ')
			if i <= 0 {
				break
			}
		}
		b.WriteString(line[:i])
		b.WriteString("\r\n")
		line = line[i:] // the space starts the continuation line
	}
	b.WriteString(line)
	return b.String()
}
