// Package mailer sends e-mail through an SMTP relay, the way a careful
// administrator would configure it: STARTTLS required unless said
// otherwise, the password read from a file or the environment at each
// delivery and sent only over TLS or to this host, the relay's
// certificate checked against the system's CAs or an internal CA, and
// one deadline over the whole delivery. The ledger's anchoring and the
// notifications to approvers and operators both use it.
package mailer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs/relay"
)

// Relay is an SMTP relay and how to use it: the settings the
// configuration gives (configs/relay), which Check and Deliver take.
type Relay = relay.Relay

// Values of Relay.StartTLS (see configs/relay).
const (
	StartTLSRequired      = relay.StartTLSRequired
	StartTLSOpportunistic = relay.StartTLSOpportunistic
	StartTLSNone          = relay.StartTLSNone
)

// Defaults of a relay.
const (
	DefaultSMTPPort    = relay.DefaultSMTPPort
	DefaultSMTPSPort   = relay.DefaultSMTPSPort
	DefaultSMTPTimeout = relay.DefaultSMTPTimeout
)

// ParseAddress parses one address, bare or with a display name.
func ParseAddress(s string) (*mail.Address, error) { return relay.ParseAddress(s) }

// ErrNoStartTLS is wrapped by the error of a delivery that requires
// STARTTLS when the relay does not offer it.
var ErrNoStartTLS = errors.New("the smtp relay does not offer STARTTLS")

// Check validates the settings and reads the password and the CA file
// once, so that a mistake shows at start rather than at the first
// delivery. They are read again at each delivery, so that they can be
// changed without a restart.
func Check(c Relay) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Username != "" {
		if _, err := readPassword(c); err != nil {
			return err
		}
	}
	_, err := tlsConfig(c)
	return err
}

// Deliver sends msg, a complete RFC 5322 message, from c.From to every
// recipient in to (each bare or with a display name) in one transaction.
// It succeeds only when the relay has accepted the message for every
// recipient; if it refuses one, nothing is sent. what names the message
// in errors ("mail checkpoint", "mail notification"). log receives a
// warning when the message goes out unencrypted under StartTLS
// "opportunistic"; nil logs nothing.
func Deliver(ctx context.Context, c Relay, log *zap.Logger, what string, to []string, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("smtp settings: %w", err)
	}
	if len(to) == 0 {
		return fmt.Errorf("%s: no recipients", what)
	}
	from, _ := ParseAddress(c.From) // valid: checked above
	rcpts := make([]string, len(to))
	for i, a := range to {
		addr, err := ParseAddress(a)
		if err != nil {
			return fmt.Errorf("%s: recipient: %w", what, err)
		}
		rcpts[i] = addr.Address
	}
	var (
		password string
		err      error
	)
	if c.Username != "" {
		if password, err = readPassword(c); err != nil {
			return err
		}
	}
	tlsConf, err := tlsConfig(c)
	if err != nil {
		return err
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("smtp timeout of %s: %w", timeout, context.DeadlineExceeded))
	defer cancel()
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.EffectivePort()))
	if log == nil {
		log = zap.NewNop()
	}
	d := delivery{c: c, log: log.With(zap.String("smtp_addr", addr)), addr: addr, tls: tlsConf, password: password}
	if err := d.run(ctx, from.Address, rcpts, msg); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
			// Every deadline of the connection is ctx's, or was set
			// when ctx was cancelled: ctx is done, or will be in a
			// moment.
			<-ctx.Done()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s via %s: %w (interrupted: %v)", what, addr, context.Cause(ctx), err)
		}
		return fmt.Errorf("%s via %s: %w", what, addr, err)
	}
	return nil
}

// readPassword reads the password from PasswordFile or PasswordEnv.
func readPassword(c Relay) (string, error) {
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("read smtp password_file: %w", err)
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", fmt.Errorf("smtp password_file %s is empty", c.PasswordFile)
		}
		return pw, nil
	}
	pw, ok := os.LookupEnv(c.PasswordEnv)
	switch {
	case !ok:
		return "", fmt.Errorf("smtp password_env: environment variable %s is not set", c.PasswordEnv)
	case pw == "":
		return "", fmt.Errorf("smtp password_env: environment variable %s is empty", c.PasswordEnv)
	}
	return pw, nil
}

// tlsConfig checks the relay's certificate for Host against CAFile's
// certificates, or the system's.
func tlsConfig(c Relay) (*tls.Config, error) {
	conf := &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	if c.CAFile == "" {
		return conf, nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read smtp ca_file: %w", err)
	}
	conf.RootCAs = x509.NewCertPool()
	if !conf.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("smtp ca_file %s holds no PEM certificate", c.CAFile)
	}
	return conf, nil
}

// delivery is one SMTP session.
type delivery struct {
	c        Relay
	log      *zap.Logger
	addr     string
	tls      *tls.Config
	password string
}

func (d delivery) run(ctx context.Context, from string, to []string, msg []byte) error {
	var (
		conn net.Conn
		err  error
	)
	if d.c.ImplicitTLS {
		conn, err = (&tls.Dialer{Config: d.tls}).DialContext(ctx, "tcp", d.addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", d.addr)
	}
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// net/smtp knows no context: the deadline bounds every read and
	// write, and cancelling ctx moves it to the past.
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return fmt.Errorf("set connection deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	cl, err := smtp.NewClient(conn, d.c.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("read smtp greeting: %w", err)
	}
	defer cl.Close()
	if err := cl.Hello(localName()); err != nil {
		return fmt.Errorf("smtp ehlo: %w", err)
	}
	secure := d.c.ImplicitTLS
	if !secure && d.c.StartTLS != StartTLSNone {
		offered, _ := cl.Extension("STARTTLS")
		switch {
		case offered:
			if err := cl.StartTLS(d.tls); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
			secure = true
		case d.c.StartTLS == StartTLSOpportunistic:
			d.log.Warn("smtp relay offers no starttls: sending unencrypted")
		default:
			return fmt.Errorf("%w: refusing to send unencrypted (starttls: opportunistic or none would allow it)", ErrNoStartTLS)
		}
	}
	if d.c.Username != "" {
		if err := d.auth(cl, secure); err != nil {
			return err
		}
	}
	if err := cl.Mail(from); err != nil {
		return fmt.Errorf("smtp relay refused sender %s: %w", from, err)
	}
	for _, rcpt := range to {
		if err := cl.Rcpt(rcpt); err != nil {
			return fmt.Errorf("smtp relay refused recipient %s: %w", rcpt, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("send message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp relay did not accept the message: %w", err)
	}
	// The relay accepted the message: a failing QUIT changes nothing.
	if err := cl.Quit(); err != nil {
		d.log.Debug("smtp quit failed after the message was accepted", zap.Error(err))
	}
	return nil
}

// auth authenticates with PLAIN, or LOGIN if the relay offers only that.
func (d delivery) auth(cl *smtp.Client, secure bool) error {
	ok, offered := cl.Extension("AUTH")
	if !ok {
		return errors.New("smtp relay offers no authentication, but username is set")
	}
	if !secure && !isLoopback(d.c.Host) {
		return fmt.Errorf("refusing to send the smtp password unencrypted to %s", d.c.Host)
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	var a smtp.Auth
	switch {
	case slices.Contains(mechs, "PLAIN"):
		a = smtp.PlainAuth("", d.c.Username, d.password, d.c.Host)
	case slices.Contains(mechs, "LOGIN"):
		a = &loginAuth{user: d.c.Username, password: d.password}
	default:
		return fmt.Errorf("smtp relay offers neither PLAIN nor LOGIN authentication (it offers %q)", offered)
	}
	if err := cl.Auth(a); err != nil {
		return fmt.Errorf("smtp authentication as %s: %w", d.c.Username, err)
	}
	return nil
}

// loginAuth is the LOGIN mechanism, which net/smtp lacks and some relays
// (Microsoft's) offer alone. It is used only over TLS or to this host.
type loginAuth struct {
	user, password string
	step           int
}

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	c := strings.ToLower(string(challenge))
	switch {
	case strings.Contains(c, "pass"):
		return []byte(a.password), nil
	case strings.Contains(c, "user"), a.step == 1:
		return []byte(a.user), nil
	case a.step == 2:
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", challenge)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// localName is the name given in EHLO: this host's, if it is a plain
// domain name.
func localName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsFunc(h, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) {
		return "localhost"
	}
	return h
}

// HeaderAddress formats a for a header: bare if it has no display name.
func HeaderAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.String()
}

// MessageIDDomain is the domain of addr, if it can stand in a Message-ID
// as it is, else retentiond.invalid.
func MessageIDDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	d := addr[i+1:]
	if i < 0 || d == "" || strings.ContainsFunc(d, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) {
		return "retentiond.invalid"
	}
	return d
}
