// Package smtptest starts a real SMTP relay (github.com/emersion/go-smtp)
// on 127.0.0.1 for tests, with a certificate made for the test, and
// records what it receives.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The only credentials the relay accepts.
const (
	User     = "retentiond"
	Password = "s3cret pass"
)

// Options say how the relay behaves.
type Options struct {
	StartTLS    bool     // offer STARTTLS
	ImplicitTLS bool     // TLS from the first byte
	Mechs       []string // AUTH mechanisms offered (only over TLS)
	RejectRcpt  string   // recipient refused with 550
}

// Server is a running relay.
type Server struct {
	opts   Options
	Host   string
	Port   int
	CAFile string // PEM of the relay's self-signed certificate

	mu       sync.Mutex
	messages []Message
	mails    int // MAIL commands seen
}

// Message is one message the relay accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // it came over TLS
	User string // who authenticated, if anyone
}

// Received returns the messages accepted so far, and how many MAIL
// commands the relay saw (also those of transactions it did not accept).
func (s *Server) Received() ([]Message, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...), s.mails
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	msg  Message
}

func (s *session) AuthMechanisms() []string { return s.s.opts.Mechs }

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != User || pass != Password {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.s.mu.Lock()
	s.s.mails++
	s.s.mu.Unlock()
	s.msg = Message{From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.s.opts.RejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = b
	s.msg.User = s.user
	_, s.msg.TLS = s.conn.TLSConnectionState()
	s.s.mu.Lock()
	s.s.messages = append(s.s.messages, s.msg)
	s.s.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.msg = Message{} }
func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check      func(user, pass string) error
	step       int
	user, pass string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(response))
}

// selfSigned makes a certificate for 127.0.0.1 and returns it and the
// PEM to trust it.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Start starts a relay that lives until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, certPEM := selfSigned(t)
	srv := &Server{opts: opts, CAFile: filepath.Join(t.TempDir(), "relay-ca.pem")}
	if err := os.WriteFile(srv.CAFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	s := smtp.NewServer(backend{srv})
	s.Domain = "relay.skole.example"
	s.ErrorLog = log.New(io.Discard, "", 0)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	if opts.StartTLS {
		s.TLSConfig = tlsConfig
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, tlsConfig)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	srv.Host = host
	srv.Port, _ = strconv.Atoi(port)
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return srv
}

// PasswordFile writes Password to a file the test owns and returns its
// path.
func PasswordFile(t testing.TB) string {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pw, []byte(Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return pw
}
