package anchor

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"go.yaml.in/yaml/v3"

	"github.com/retentiond/retentiond/scheduler/mailer"
	"github.com/retentiond/retentiond/scheduler/mailer/smtptest"
)

const (
	testUser     = smtptest.User
	testPassword = smtptest.Password
	testFrom     = "retentiond@skole.example"
	testDPO      = "dpo@skole.example"
	testAuditor  = "revisor@skole.example"
)

// config is an SMTPConfig for srv that authenticates with the password
// from a file and trusts srv's certificate.
func config(t *testing.T, s *smtptest.Server, implicitTLS bool) SMTPConfig {
	t.Helper()
	return SMTPConfig{Relay: mailer.Relay{Host: s.Host, Port: s.Port, From: testFrom, Username: testUser, PasswordFile: smtptest.PasswordFile(t), CAFile: s.CAFile, ImplicitTLS: implicitTLS, Timeout: time.Minute}, To: []string{testDPO, testAuditor}}
}

func newSMTP(t *testing.T, c SMTPConfig, log *zap.Logger) *SMTP {
	t.Helper()
	s, err := NewSMTP(c, log)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkDelivered checks the one message srv received: envelope, headers,
// text and attachment.
func checkDelivered(t *testing.T, srv *smtptest.Server, cp Checkpoint, wantTLS bool, wantUser string) {
	t.Helper()
	msgs, _ := srv.Received()
	if len(msgs) != 1 {
		t.Fatalf("%d messages received, want 1", len(msgs))
	}
	got := msgs[0]
	if got.TLS != wantTLS || got.User != wantUser || got.From != testFrom || strings.Join(got.To, ",") != testDPO+","+testAuditor {
		t.Fatalf("envelope: tls %v, user %q, from %q, to %q", got.TLS, got.User, got.From, got.To)
	}
	m, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(cp.At) {
		t.Errorf("Date %q (%v), want %v", m.Header.Get("Date"), err, cp.At)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasPrefix(id, "<checkpoint.42.20261122T090000.000000000Z.") || !strings.HasSuffix(id, "@skole.example>") {
		t.Errorf("Message-ID %q", id)
	}
	if from, err := m.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != testFrom {
		t.Errorf("From %v (%v)", from, err)
	}
	if to, err := m.Header.AddressList("To"); err != nil || len(to) != 2 || to[0].Address != testDPO || to[1].Address != testAuditor {
		t.Errorf("To %v (%v)", to, err)
	}
	if s := m.Header.Get("Subject"); s != "retentiond ledger checkpoint: skole.example/ledger, size 42" {
		t.Errorf("Subject %q", s)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q (%v)", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var parts []*multipart.Part
	var bodies [][]byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts, bodies = append(parts, p), append(bodies, b)
	}
	if len(parts) != 2 {
		t.Fatalf("%d parts, want text and attachment", len(parts))
	}

	// The text: an explanation, then the note verbatim between markers
	// (quoted-printable, decoded by multipart; CRLF line ends on the wire).
	if ct, _, _ := mime.ParseMediaType(parts[0].Header.Get("Content-Type")); ct != "text/plain" {
		t.Errorf("text part is %q", ct)
	}
	text := strings.ReplaceAll(string(bodies[0]), "\r\n", "\n")
	for _, want := range []string{"retentiond ledger verify --anchor " + testFile, "skole.example/ledger", "first 42 entries"} {
		if !strings.Contains(text, want) {
			t.Errorf("text does not say %q:\n%s", want, text)
		}
	}
	_, after, ok1 := strings.Cut(text, BeginMarker+"\n")
	inText, _, ok2 := strings.Cut(after, EndMarker+"\n")
	if !ok1 || !ok2 || inText != string(cp.Note) {
		t.Errorf("note in the text %q, want %q", inText, cp.Note)
	}

	// The attachment: the note byte for byte.
	if parts[1].FileName() != testFile {
		t.Errorf("attachment named %q, want %q", parts[1].FileName(), testFile)
	}
	if disp, _, _ := mime.ParseMediaType(parts[1].Header.Get("Content-Disposition")); disp != "attachment" {
		t.Errorf("attachment disposition %q", disp)
	}
	attached, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(bodies[1]), "\r\n", ""))
	if err != nil || !bytes.Equal(attached, cp.Note) {
		t.Errorf("attachment %q (%v), want %q", attached, err, cp.Note)
	}
}

func TestSMTPStartTLSAndPlain(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	target := newSMTP(t, config(t, srv, false), zap.NewNop())
	if target.Name() != "smtp:"+testDPO+","+testAuditor {
		t.Errorf("Name() = %q", target.Name())
	}
	if err := target.Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, srv, cp, true, testUser)
}

func TestSMTPLoginAuthAndPasswordEnv(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Login}})
	c := config(t, srv, false)
	c.PasswordFile, c.PasswordEnv = "", "RETENTIOND_TEST_SMTP_PASSWORD"
	t.Setenv(c.PasswordEnv, testPassword)
	if err := newSMTP(t, c, nil).Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, srv, cp, true, testUser)
}

func TestSMTPImplicitTLS(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: true, Mechs: []string{sasl.Plain}})
	if err := newSMTP(t, config(t, srv, true), nil).Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, srv, cp, true, testUser)
}

func TestSMTPLegacyTLSField(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: true, Mechs: []string{sasl.Plain}})
	c := config(t, srv, true)
	target := &SMTP{SMTPConfig: SMTPConfig{Relay: mailer.Relay{Host: c.Host, Port: c.Port, From: c.From, Username: c.Username, PasswordFile: c.PasswordFile, CAFile: c.CAFile}, To: c.To}, TLS: TLSImplicit}
	if err := target.Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, srv, cp, true, testUser)
}

func TestSMTPRequiredStartTLSNotOffered(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{})
	err := newSMTP(t, config(t, srv, false), nil).Send(context.Background(), cp)
	if !errors.Is(err, ErrNoStartTLS) || !strings.Contains(err.Error(), "refusing to send unencrypted") {
		t.Fatalf("sent without STARTTLS: %v", err)
	}
	if msgs, mails := srv.Received(); len(msgs) != 0 || mails != 0 {
		t.Fatalf("%d messages, %d MAIL commands over an unencrypted connection", len(msgs), mails)
	}
}

func TestSMTPOpportunisticWithoutStartTLS(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{})
	c := config(t, srv, false)
	c.Username, c.PasswordFile, c.CAFile, c.StartTLS = "", "", "", StartTLSOpportunistic
	core, logs := observer.New(zapcore.InfoLevel)
	if err := newSMTP(t, c, zap.New(core)).Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, srv, cp, false, "")
	warn := logs.FilterMessageSnippet("unencrypted").All()
	if len(warn) != 1 || warn[0].Level != zapcore.WarnLevel || warn[0].ContextMap()["smtp_addr"] != net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port)) ||
		warn[0].ContextMap()["target"] != "smtp:"+testDPO+","+testAuditor {
		t.Fatalf("warnings %+v", warn)
	}
}

func TestSMTPOpportunisticUpgrades(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	c := config(t, srv, false)
	c.StartTLS = StartTLSOpportunistic
	if err := newSMTP(t, c, nil).Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, srv, cp, true, testUser)
}

func TestSMTPStartTLSNone(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true})
	c := config(t, srv, false)
	c.Username, c.PasswordFile, c.CAFile, c.StartTLS = "", "", "", StartTLSNone
	if err := newSMTP(t, c, nil).Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, srv, cp, false, "")
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	c := config(t, srv, false)
	c.CAFile = "" // the system's roots do not know the test certificate
	err := newSMTP(t, c, nil).Send(context.Background(), cp)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "starttls") {
		t.Fatalf("an untrusted certificate: %v", err)
	}
	if msgs, mails := srv.Received(); len(msgs) != 0 || mails != 0 {
		t.Fatal("sent to a relay whose certificate is not trusted")
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}})
	c := config(t, srv, false)
	c.PasswordFile, c.PasswordEnv = "", "RETENTIOND_TEST_SMTP_PASSWORD"
	t.Setenv(c.PasswordEnv, "wrong")
	err := newSMTP(t, c, nil).Send(context.Background(), cp)
	if err == nil || !strings.Contains(err.Error(), "smtp authentication as "+testUser) {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("the error shows the password: %v", err)
	}
	if msgs, mails := srv.Received(); len(msgs) != 0 || mails != 0 {
		t.Fatal("sent after a failed authentication")
	}
}

func TestSMTPRecipientRejected(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Mechs: []string{sasl.Plain}, RejectRcpt: testAuditor})
	err := newSMTP(t, config(t, srv, false), nil).Send(context.Background(), cp)
	if err == nil || !strings.Contains(err.Error(), "refused recipient "+testAuditor) || !strings.Contains(err.Error(), "550") {
		t.Fatalf("rejected recipient: %v", err)
	}
	if msgs, _ := srv.Received(); len(msgs) != 0 {
		t.Fatalf("%d messages delivered although a recipient was refused", len(msgs))
	}
}

func TestSMTPNoAuthOffered(t *testing.T) {
	cp := testCheckpoint(t)
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true})
	err := newSMTP(t, config(t, srv, false), nil).Send(context.Background(), cp)
	if err == nil || !strings.Contains(err.Error(), "offers no authentication") {
		t.Fatalf("got %v", err)
	}
	if msgs, mails := srv.Received(); len(msgs) != 0 || mails != 0 {
		t.Fatal("sent without authenticating")
	}
}

// silentServer accepts connections and never greets; each accepted
// connection is announced on the returned channel.
func silentServer(t *testing.T) (host string, port int, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 16)
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			ch <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	h, p, _ := net.SplitHostPort(ln.Addr().String())
	port, _ = strconv.Atoi(p)
	return h, port, ch
}

func TestSMTPCancelled(t *testing.T) {
	cp := testCheckpoint(t)
	host, port, accepted := silentServer(t)
	target := newSMTP(t, SMTPConfig{Relay: mailer.Relay{Host: host, Port: port, From: testFrom, Timeout: time.Hour}, To: []string{testDPO}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-accepted
		cancel()
	}()
	err := target.Send(ctx, cp)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while waiting for the greeting: %v", err)
	}

	if err := target.Send(ctx, cp); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before sending: %v", err)
	}
}

func TestSMTPTimeout(t *testing.T) {
	cp := testCheckpoint(t)
	host, port, _ := silentServer(t)
	target := newSMTP(t, SMTPConfig{Relay: mailer.Relay{Host: host, Port: port, From: testFrom, Timeout: time.Millisecond}, To: []string{testDPO}}, nil)
	err := target.Send(context.Background(), cp)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "smtp timeout of 1ms") {
		t.Fatalf("a relay that never greets: %v", err)
	}
}

func TestSMTPConnectionRefused(t *testing.T) {
	cp := testCheckpoint(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	port, _ := strconv.Atoi(p)
	err = newSMTP(t, SMTPConfig{Relay: mailer.Relay{Host: "127.0.0.1", Port: port, From: testFrom}, To: []string{testDPO}}, nil).Send(context.Background(), cp)
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("got %v", err)
	}
}

func TestNewSMTPChecksSecretsAndCA(t *testing.T) {
	dir := t.TempDir()
	base := SMTPConfig{Relay: mailer.Relay{Host: "smtp.skole.example", From: testFrom, Username: testUser}, To: []string{testDPO}}
	empty := filepath.Join(dir, "empty")
	notPEM := filepath.Join(dir, "not-pem")
	for _, f := range []string{empty, notPEM} {
		if err := os.WriteFile(f, []byte("\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("RETENTIOND_TEST_EMPTY", "")
	for name, tt := range map[string]struct {
		mod  func(*SMTPConfig)
		want string
	}{
		"missing password file": {func(c *SMTPConfig) { c.PasswordFile = filepath.Join(dir, "missing") }, "read smtp password_file"},
		"empty password file":   {func(c *SMTPConfig) { c.PasswordFile = empty }, "is empty"},
		"unset variable":        {func(c *SMTPConfig) { c.PasswordEnv = "RETENTIOND_TEST_UNSET_VARIABLE" }, "RETENTIOND_TEST_UNSET_VARIABLE is not set"},
		"empty variable":        {func(c *SMTPConfig) { c.PasswordEnv = "RETENTIOND_TEST_EMPTY" }, "RETENTIOND_TEST_EMPTY is empty"},
		"missing ca file": {func(c *SMTPConfig) {
			c.Username, c.CAFile = "", filepath.Join(dir, "missing-ca")
		}, "read smtp ca_file"},
		"ca file not pem": {func(c *SMTPConfig) { c.Username, c.CAFile = "", notPEM }, "holds no PEM certificate"},
		"invalid":         {func(c *SMTPConfig) { c.Host = "" }, "host: missing"},
	} {
		t.Run(name, func(t *testing.T) {
			c := base
			tt.mod(&c)
			if _, err := NewSMTP(c, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	ok := SMTPConfig{Relay: mailer.Relay{Host: "smtp.skole.example", From: testFrom}, To: []string{testDPO}}
	for name, tt := range map[string]struct {
		mod  func(*SMTPConfig)
		want string // prefix of the error; "" for none
	}{
		"minimal":    {func(*SMTPConfig) {}, ""},
		"everything": {func(c *SMTPConfig) { *c = fullConfig() }, ""},
		"display names": {func(c *SMTPConfig) {
			c.From, c.To = "Retentiond <r@skole.example>", []string{"DPO <dpo@skole.example>"}
		}, ""},
		"ip host":               {func(c *SMTPConfig) { c.Host = "::1" }, ""},
		"implicit tls":          {func(c *SMTPConfig) { c.ImplicitTLS, c.Port = true, 465 }, ""},
		"opportunistic":         {func(c *SMTPConfig) { c.StartTLS = StartTLSOpportunistic }, ""},
		"none":                  {func(c *SMTPConfig) { c.StartTLS = StartTLSNone }, ""},
		"no host":               {func(c *SMTPConfig) { c.Host = "" }, "host: missing"},
		"host with port":        {func(c *SMTPConfig) { c.Host = "smtp.skole.example:587" }, "host: \"smtp.skole.example:587\" is not a host name"},
		"host url":              {func(c *SMTPConfig) { c.Host = "smtp://smtp.skole.example" }, "host: "},
		"bad port":              {func(c *SMTPConfig) { c.Port = 70000 }, "port: 70000 is not a port number"},
		"465 without tls":       {func(c *SMTPConfig) { c.Port = 465 }, "port: 465 is the port for implicit TLS"},
		"no from":               {func(c *SMTPConfig) { c.From = "" }, "from: missing"},
		"bad from":              {func(c *SMTPConfig) { c.From = "retentiond" }, "from: \"retentiond\" is not an e-mail address"},
		"no to":                 {func(c *SMTPConfig) { c.To = nil }, "to: missing"},
		"bad second to":         {func(c *SMTPConfig) { c.To = []string{testDPO, "nobody"} }, "to[1]: \"nobody\" is not an e-mail address"},
		"header injection":      {func(c *SMTPConfig) { c.To = []string{"dpo@skole.example\r\nBcc: x@evil.example"} }, "to[0]: "},
		"user without password": {func(c *SMTPConfig) { c.Username = testUser }, "username: set, but neither password_file nor password_env"},
		"two passwords": {func(c *SMTPConfig) {
			c.Username, c.PasswordFile, c.PasswordEnv = testUser, "/etc/retentiond/smtp-password", "SMTP_PASSWORD"
		}, "password_file: set together with password_env"},
		"password file without user": {func(c *SMTPConfig) { c.PasswordFile = "/etc/retentiond/smtp-password" }, "password_file: set, but username is empty"},
		"password env without user":  {func(c *SMTPConfig) { c.PasswordEnv = "SMTP_PASSWORD" }, "password_env: set, but username is empty"},
		"bad env name":               {func(c *SMTPConfig) { c.Username, c.PasswordEnv = testUser, "SMTP PASSWORD" }, "password_env: \"SMTP PASSWORD\" is not an environment variable name"},
		"bad starttls":               {func(c *SMTPConfig) { c.StartTLS = "yes" }, "starttls: \"yes\" is not required, opportunistic or none"},
		"implicit and none":          {func(c *SMTPConfig) { c.ImplicitTLS, c.StartTLS = true, StartTLSNone }, "starttls: \"none\" contradicts implicit_tls"},
		"ca without tls":             {func(c *SMTPConfig) { c.StartTLS, c.CAFile = StartTLSNone, "/etc/ca.pem" }, "ca_file: set, but starttls is none"},
		"negative timeout":           {func(c *SMTPConfig) { c.Timeout = -time.Second }, "timeout: -1s is negative"},
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSMTPValidateLegacyTLS(t *testing.T) {
	ok := SMTP{SMTPConfig: SMTPConfig{Relay: mailer.Relay{Host: "smtp.skole.example", From: testFrom}, To: []string{testDPO}}}
	for name, tt := range map[string]struct {
		mod  func(*SMTP)
		want string
	}{
		"none":                {func(*SMTP) {}, ""},
		"starttls":            {func(s *SMTP) { s.TLS = TLSStartTLS }, ""},
		"tls":                 {func(s *SMTP) { s.TLS = TLSImplicit }, ""},
		"tls on 465":          {func(s *SMTP) { s.TLS, s.Port = TLSImplicit, 465 }, ""},
		"off":                 {func(s *SMTP) { s.TLS = TLSNone }, ""},
		"bad":                 {func(s *SMTP) { s.TLS = "maybe" }, "tls: \"maybe\" is not starttls, tls or none"},
		"with starttls":       {func(s *SMTP) { s.TLS, s.StartTLS = TLSNone, StartTLSRequired }, "tls: set together with starttls"},
		"config errors apply": {func(s *SMTP) { s.To = nil }, "to: missing"},
	} {
		t.Run(name, func(t *testing.T) {
			s := ok
			tt.mod(&s)
			err := s.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func fullConfig() SMTPConfig {
	return SMTPConfig{Relay: mailer.Relay{Host: "smtp.skole.example", Port: 587, From: testFrom, Username: testUser, PasswordFile: "/etc/retentiond/smtp-password", StartTLS: StartTLSRequired, CAFile: "/etc/retentiond/relay-ca.pem", Timeout: 45 * time.Second}, To: []string{testDPO, testAuditor}}
}

func TestConfigYAML(t *testing.T) {
	var got struct {
		Dir  DirConfig  `yaml:"dir"`
		SMTP SMTPConfig `yaml:"smtp"`
	}
	src := `
dir:
  path: /mnt/dpo/anchors
smtp:
  host: smtp.skole.example
  port: 587
  from: retentiond@skole.example
  to: [dpo@skole.example, revisor@skole.example]
  username: retentiond
  password_file: /etc/retentiond/smtp-password
  starttls: required
  ca_file: /etc/retentiond/relay-ca.pem
  timeout: 45s
`
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := fullConfig()
	if got.Dir.Path != "/mnt/dpo/anchors" || got.SMTP.Host != want.Host || got.SMTP.Port != want.Port || got.SMTP.From != want.From ||
		strings.Join(got.SMTP.To, ",") != strings.Join(want.To, ",") || got.SMTP.Username != want.Username ||
		got.SMTP.PasswordFile != want.PasswordFile || got.SMTP.StartTLS != want.StartTLS || got.SMTP.CAFile != want.CAFile ||
		got.SMTP.Timeout != want.Timeout {
		t.Fatalf("decoded %+v", got)
	}
	var other SMTPConfig
	if err := yaml.Unmarshal([]byte("password_env: SMTP_PASSWORD\nimplicit_tls: true\n"), &other); err != nil {
		t.Fatal(err)
	}
	if other.PasswordEnv != "SMTP_PASSWORD" || !other.ImplicitTLS {
		t.Fatalf("decoded %+v", other)
	}
}
