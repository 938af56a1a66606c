package anchor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"go.uber.org/zap"
)

var cp = Checkpoint{Origin: "skole.example/ledger", N: 42, At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	Note: []byte("skole.example/ledger\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— skole.example/ledger abcd\n")}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	d := Dir{Path: dir}
	if err := d.Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "skole.example_ledger-000000000042.checkpoint"))
	if err != nil || !bytes.Equal(got, cp.Note) {
		t.Fatalf("anchored file %q, %v", got, err)
	}
	if err := d.Send(context.Background(), cp); err != nil {
		t.Fatalf("sending the same checkpoint again: %v", err)
	}
	other := cp
	other.Note = bytes.Replace(cp.Note, []byte("AAAA"), []byte("BBBB"), 1)
	if err := d.Send(context.Background(), other); !errors.Is(err, ErrConflict) {
		t.Fatalf("a different checkpoint of the same size: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "skole.example_ledger-000000000042.checkpoint")); !bytes.Equal(got, cp.Note) {
		t.Fatal("the anchored checkpoint was overwritten")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if err := (Dir{Path: filepath.Join(dir, "missing")}).Send(context.Background(), cp); err == nil {
		t.Fatal("a missing directory was accepted (or created)")
	}
	if os.Getuid() != 0 {
		ro := t.TempDir()
		os.Chmod(ro, 0o500)
		if err := (Dir{Path: ro}).Send(context.Background(), cp); err == nil {
			t.Fatal("a read-only directory was accepted")
		}
	}
}

// smtpServer is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 with STARTTLS and PLAIN authentication.
type smtpServer struct {
	addr     string
	pool     *x509.CertPool
	mu       sync.Mutex
	messages []received
	rejectTo string
}

type received struct {
	from string
	to   []string
	data []byte
	tls  bool
	user string
}

type backend struct{ s *smtpServer }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *smtpServer
	conn *smtp.Conn
	msg  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "retentiond" || pass != "s3cret" {
			return errors.New("invalid credentials")
		}
		s.msg.user = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.msg.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.s.rejectTo {
		return &smtp.SMTPError{Code: 550, Message: "no such mailbox"}
	}
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = b
	_, s.msg.tls = s.conn.TLSConnectionState()
	s.s.mu.Lock()
	s.s.messages = append(s.s.messages, s.msg)
	s.s.mu.Unlock()
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func startSMTP(t *testing.T, withTLS bool) *smtpServer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	srv := &smtpServer{pool: x509.NewCertPool()}
	srv.pool.AddCert(cert)
	s := smtp.NewServer(backend{srv})
	s.Domain = "127.0.0.1"
	if withTLS {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return srv
}

func (s *smtpServer) target(t *testing.T) *SMTP {
	host, port, _ := net.SplitHostPort(s.addr)
	p := 0
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	return &SMTP{Host: host, Port: p, From: "retentiond@skole.example", To: []string{"dpo@skole.example", "revisor@skole.example"},
		Username: "retentiond", PasswordFile: pw, RootCAs: s.pool, Timeout: 5 * time.Second}
}

func TestSMTP(t *testing.T) {
	srv := startSMTP(t, true)
	target := srv.target(t)
	if err := target.Send(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
	if len(srv.messages) != 1 {
		t.Fatalf("%d messages received", len(srv.messages))
	}
	got := srv.messages[0]
	if !got.tls || got.user != "retentiond" || got.from != "retentiond@skole.example" || strings.Join(got.to, ",") != "dpo@skole.example,revisor@skole.example" {
		t.Fatalf("envelope %+v", got)
	}
	m, err := mail.ReadMessage(bytes.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := m.Header.Date(); !d.Equal(cp.At) || !strings.Contains(m.Header.Get("Subject"), "size 42") {
		t.Fatalf("headers %v", m.Header)
	}
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, params["boundary"])
	var attached []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if p.FileName() == "skole.example_ledger-000000000042.checkpoint" {
			attached, _ = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", ""))
		}
	}
	if !bytes.Equal(attached, cp.Note) {
		t.Fatalf("attachment %q", attached)
	}

	// Wrong password, rejected recipient: errors, nothing delivered.
	bad := srv.target(t)
	bad.PasswordFile = ""
	bad.PasswordEnv = "RETENTIOND_TEST_SMTP_PW"
	t.Setenv("RETENTIOND_TEST_SMTP_PW", "wrong")
	if err := bad.Send(context.Background(), cp); err == nil || !strings.Contains(err.Error(), "authentication") {
		t.Fatalf("wrong password: %v", err)
	}
	srv.rejectTo = "revisor@skole.example"
	if err := target.Send(context.Background(), cp); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("rejected recipient: %v", err)
	}
	if len(srv.messages) != 1 {
		t.Fatalf("%d messages after failures", len(srv.messages))
	}
}

func TestSMTPRefusesCleartext(t *testing.T) {
	srv := startSMTP(t, false)
	target := srv.target(t)
	if err := target.Send(context.Background(), cp); err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("sent without STARTTLS: %v", err)
	}
	if len(srv.messages) != 0 {
		t.Fatal("a message was delivered in clear")
	}
}

func TestSMTPCancelled(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0") // accepts, never greets
	defer ln.Close()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p := 0
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	err := (&SMTP{Host: host, Port: p, From: "a@b.c", To: []string{"d@e.f"}}).Send(ctx, cp)
	if err == nil {
		t.Fatal("a silent server was taken for a delivery")
	}
}

func TestValidate(t *testing.T) {
	ok := SMTP{Host: "smtp.skole.example", From: "r@skole.example", To: []string{"dpo@skole.example"}}
	for name, tt := range map[string]struct {
		mod  func(*SMTP)
		want string
	}{
		"ok":           {func(*SMTP) {}, ""},
		"no host":      {func(s *SMTP) { s.Host = "" }, "host: missing"},
		"no to":        {func(s *SMTP) { s.To = nil }, "to: missing"},
		"bad tls":      {func(s *SMTP) { s.TLS = "maybe" }, "not starttls"},
		"user no pass": {func(s *SMTP) { s.Username = "x" }, "neither password_file nor password_env"},
		"bad address":  {func(s *SMTP) { s.To = []string{"dpo\r\nBcc: x@y"} }, "not an e-mail address"},
	} {
		s := ok
		tt.mod(&s)
		err := s.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSendAllTriesEveryTarget(t *testing.T) {
	dir := t.TempDir()
	res := SendAll(context.Background(), []Target{Dir{Path: filepath.Join(dir, "missing")}, Dir{Path: dir}}, cp, zap.NewNop())
	if len(res) != 2 || res[0].Err == nil || res[1].Err != nil {
		t.Fatalf("results %+v", res)
	}
}
