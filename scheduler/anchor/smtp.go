package anchor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"mime/multipart"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// TLS modes of an SMTP target.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which the server must offer (default)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption; only for a relay on the same host
)

// SMTP mails each checkpoint, as text and as an attachment, through a
// relay. It uses the standard library's net/smtp client: the protocol needed
// here (STARTTLS, PLAIN auth, one message) is what it does, and it is
// maintained with Go itself.
type SMTP struct {
	Host     string
	Port     int // default 587, or 465 with TLSImplicit
	From     string
	To       []string
	Username string
	// Password is read when sending: from PasswordFile, or else from the
	// environment variable PasswordEnv. Never from the configuration.
	PasswordFile string
	PasswordEnv  string
	TLS          string         // TLSStartTLS, TLSImplicit or TLSNone
	RootCAs      *x509.CertPool // nil: CAFile's, or the system's
	CAFile       string         // PEM certificates of an internal relay's CA
	Timeout      time.Duration  // default 30 s
}

var _ Target = (*SMTP)(nil)

// Name implements Target.
func (s *SMTP) Name() string { return "smtp:" + strings.Join(s.To, ",") }

// Validate checks the settings; path names the setting in errors.
func (s *SMTP) Validate() error {
	switch {
	case s.Host == "":
		return errors.New("host: missing")
	case s.From == "":
		return errors.New("from: missing")
	case len(s.To) == 0:
		return errors.New("to: missing: give at least one address")
	case s.TLS != "" && s.TLS != TLSStartTLS && s.TLS != TLSImplicit && s.TLS != TLSNone:
		return fmt.Errorf("tls: %q is not starttls, tls or none", s.TLS)
	case s.Username != "" && s.PasswordFile == "" && s.PasswordEnv == "":
		return errors.New("username is set but neither password_file nor password_env")
	case s.Port < 0 || s.Port > 65535:
		return fmt.Errorf("port: %d is not a port", s.Port)
	}
	for _, a := range append([]string{s.From}, s.To...) {
		if strings.ContainsAny(a, "\r\n<>") || !strings.Contains(a, "@") {
			return fmt.Errorf("%q is not an e-mail address", a)
		}
	}
	return nil
}

func (s *SMTP) password() (string, error) {
	if s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("read smtp password: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if v, ok := os.LookupEnv(s.PasswordEnv); ok {
		return v, nil
	}
	return "", fmt.Errorf("smtp password: environment variable %s is not set", s.PasswordEnv)
}

// Send implements Target.
func (s *SMTP) Send(ctx context.Context, cp Checkpoint) error {
	if err := s.Validate(); err != nil {
		return err
	}
	msg, err := Message(s.From, s.To, cp)
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	port := s.Port
	if port == 0 {
		port = 587
		if s.TLS == TLSImplicit {
			port = 465
		}
	}
	addr := net.JoinHostPort(s.Host, strconv.Itoa(port))
	tlsConfig := &tls.Config{ServerName: s.Host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	if tlsConfig.RootCAs == nil && s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return fmt.Errorf("read smtp ca_file: %w", err)
		}
		tlsConfig.RootCAs = x509.NewCertPool()
		if !tlsConfig.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("smtp ca_file %s holds no PEM certificate", s.CAFile)
		}
	}
	var conn net.Conn
	if s.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{Config: tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting from %s: %w", addr, err)
	}
	defer c.Close()
	if s.TLS == "" || s.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("%s does not offer STARTTLS; refusing to send in clear (set tls: none only for a relay on this host)", addr)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("starttls with %s: %w", addr, err)
		}
	}
	if s.Username != "" {
		pw, err := s.password()
		if err != nil {
			return err
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, pw, s.Host)); err != nil {
			return fmt.Errorf("smtp authentication as %s: %w", s.Username, err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp sender %s: %w", s.From, err)
	}
	for _, to := range s.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp recipient %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp data not accepted: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp quit: %w", err)
	}
	return nil
}

// Message builds the e-mail for cp: a text part explaining what it is,
// with the checkpoint verbatim, and the checkpoint as an attachment.
func Message(from string, to []string, cp Checkpoint) ([]byte, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	name := FileName(cp.Origin, cp.N)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: retentiond ledger checkpoint %s size %d\r\nDate: %s\r\nMessage-ID: <%s@retentiond.invalid>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n",
		from, strings.Join(to, ", "), cp.Origin, cp.N, cp.At.Format(time.RFC1123Z), strings.TrimSuffix(name, ".checkpoint"), mw.Boundary())
	text, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"8bit"}})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(text, "This is a signed checkpoint of the deletion ledger %s, covering its first %d entries.\r\n\r\n"+
		"Keep this mail (or the attached file) where the IT department cannot change it. An auditor checks that the\r\n"+
		"ledger was not rewritten since with:\r\n\r\n    retentiond ledger verify --anchor %s BUNDLE_OR_DATABASE\r\n\r\n",
		cp.Origin, cp.N, name)
	text.Write(bytes.ReplaceAll(cp.Note, []byte("\n"), []byte("\r\n")))
	att, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Disposition":       {fmt.Sprintf("attachment; filename=%q", name)},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return nil, err
	}
	enc := base64.StdEncoding.AppendEncode(nil, cp.Note)
	for len(enc) > 76 {
		att.Write(enc[:76])
		att.Write([]byte("\r\n"))
		enc = enc[76:]
	}
	att.Write(enc)
	att.Write([]byte("\r\n"))
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
