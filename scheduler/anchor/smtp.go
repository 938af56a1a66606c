package anchor

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
)

// Values of SMTPConfig.StartTLS.
const (
	// StartTLSRequired upgrades the connection with STARTTLS and refuses
	// to send if the relay does not offer it. The default.
	StartTLSRequired = "required"
	// StartTLSOpportunistic upgrades if the relay offers STARTTLS and
	// otherwise sends unencrypted (a password still only to a relay on
	// this host).
	StartTLSOpportunistic = "opportunistic"
	// StartTLSNone never upgrades: for a relay on this host whose
	// certificate cannot be checked.
	StartTLSNone = "none"
)

// Values of the earlier SMTP.TLS setting, which StartTLS and ImplicitTLS
// replace.
const (
	TLSStartTLS = "starttls" // StartTLS: required
	TLSImplicit = "tls"      // ImplicitTLS: true
	TLSNone     = "none"     // StartTLS: none
)

// Defaults of an SMTP target.
const (
	DefaultSMTPPort        = 587 // submission, with STARTTLS
	DefaultSMTPSPort       = 465 // submissions, with implicit TLS
	DefaultSMTPTimeout     = 30 * time.Second
	defaultMessageIDDomain = "retentiond.invalid"
)

// ErrNoStartTLS is wrapped by the error of an SMTP target that requires
// STARTTLS when the relay does not offer it.
var ErrNoStartTLS = errors.New("the smtp relay does not offer STARTTLS")

// SMTPConfig configures an SMTP target. The password is never part of the
// configuration: PasswordFile or PasswordEnv says where to read it when
// sending.
type SMTPConfig struct {
	Host string `yaml:"host"` // the relay's host name (or IP address)
	// Port defaults to 587, or to 465 with ImplicitTLS.
	Port int      `yaml:"port"`
	From string   `yaml:"from"` // sender, e.g. "retentiond@school.dk" or "Retentiond <retentiond@school.dk>"
	To   []string `yaml:"to"`   // one or more recipients, e.g. the DPO

	// Username turns on authentication (PLAIN, or LOGIN if the relay
	// offers only that), which is only ever done over TLS or to a relay
	// on this host.
	Username string `yaml:"username"`
	// PasswordFile is a file holding the password (trailing line breaks
	// are ignored).
	PasswordFile string `yaml:"password_file"`
	// PasswordEnv is the name of an environment variable holding the
	// password. Exactly one of PasswordFile and PasswordEnv goes with
	// Username.
	PasswordEnv string `yaml:"password_env"`

	// StartTLS is "required" (the default), "opportunistic" or "none".
	StartTLS string `yaml:"starttls"`
	// ImplicitTLS speaks TLS from the first byte (SMTPS, port 465)
	// instead of upgrading with STARTTLS.
	ImplicitTLS bool `yaml:"implicit_tls"`
	// CAFile holds PEM certificates of the CA that signed the relay's
	// certificate (an internal relay's); they replace the system's.
	CAFile string `yaml:"ca_file"`
	// Timeout bounds a whole delivery, from connecting to the relay's
	// acceptance; 0 means 30 s. In YAML a duration such as "30s".
	Timeout time.Duration `yaml:"timeout"`
}

// Validate checks the settings without reading files or the environment.
// Each error starts with the setting's yaml name, e.g. "to[1]: ...".
func (c SMTPConfig) Validate() error {
	switch {
	case c.Host == "":
		return errors.New("host: missing: name the smtp relay")
	case net.ParseIP(c.Host) == nil && (strings.ContainsAny(c.Host, " \t\r\n/:@") || strings.HasPrefix(c.Host, ".")):
		return fmt.Errorf("host: %q is not a host name (give the port in port)", c.Host)
	case c.Port < 0 || c.Port > 65535:
		return fmt.Errorf("port: %d is not a port number", c.Port)
	case c.Port == DefaultSMTPSPort && !c.ImplicitTLS:
		return errors.New("port: 465 is the port for implicit TLS: set implicit_tls: true, or use port 587 with starttls")
	}
	if c.From == "" {
		return errors.New("from: missing: give the sender's address")
	}
	if _, err := parseAddress(c.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if len(c.To) == 0 {
		return errors.New("to: missing: give at least one recipient's address")
	}
	for i, a := range c.To {
		if _, err := parseAddress(a); err != nil {
			return fmt.Errorf("to[%d]: %w", i, err)
		}
	}
	switch {
	case c.Username != "" && c.PasswordFile == "" && c.PasswordEnv == "":
		return errors.New("username: set, but neither password_file nor password_env says where the password is")
	case c.PasswordFile != "" && c.PasswordEnv != "":
		return errors.New("password_file: set together with password_env: give one of them")
	case c.Username == "" && c.PasswordFile != "":
		return errors.New("password_file: set, but username is empty")
	case c.Username == "" && c.PasswordEnv != "":
		return errors.New("password_env: set, but username is empty")
	case strings.ContainsAny(c.Username, "\x00\r\n"):
		return errors.New("username: has a control character")
	case c.PasswordEnv != "" && strings.ContainsAny(c.PasswordEnv, "= \t\r\n\x00"):
		return fmt.Errorf("password_env: %q is not an environment variable name", c.PasswordEnv)
	}
	switch c.StartTLS {
	case "", StartTLSRequired:
	case StartTLSOpportunistic, StartTLSNone:
		if c.ImplicitTLS {
			return fmt.Errorf("starttls: %q contradicts implicit_tls: true, which is TLS from the first byte", c.StartTLS)
		}
		if c.StartTLS == StartTLSNone && c.CAFile != "" {
			return errors.New("ca_file: set, but starttls is none: there is no certificate to check")
		}
	default:
		return fmt.Errorf("starttls: %q is not required, opportunistic or none", c.StartTLS)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout: %s is negative", c.Timeout)
	}
	return nil
}

// NewSMTP validates c, reads its password and CA file once so that a
// mistake shows now rather than at the first delivery, and returns the
// target. The password is read again at each delivery, so that it can be
// changed without a restart. A nil log logs nothing.
func NewSMTP(c SMTPConfig, log *zap.Logger) (*SMTP, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Username != "" {
		if _, err := c.password(); err != nil {
			return nil, err
		}
	}
	if _, err := c.tlsConfig(); err != nil {
		return nil, err
	}
	return &SMTP{
		Host: c.Host, Port: c.Port, From: c.From, To: slices.Clone(c.To),
		Username: c.Username, PasswordFile: c.PasswordFile, PasswordEnv: c.PasswordEnv,
		StartTLS: c.StartTLS, ImplicitTLS: c.ImplicitTLS, CAFile: c.CAFile, Timeout: c.Timeout,
		Log: log,
	}, nil
}

// SMTP mails each checkpoint through a relay to every recipient at once,
// as text and as an attached file (see Message). Send succeeds only when
// the relay has accepted the message for every recipient; if it refuses
// one, nothing is sent.
//
// Its fields are those of SMTPConfig (see there), plus TLS, the earlier
// form of StartTLS and ImplicitTLS, and Log.
type SMTP struct {
	Host         string
	Port         int
	From         string
	To           []string
	Username     string
	PasswordFile string
	PasswordEnv  string
	StartTLS     string
	ImplicitTLS  bool
	CAFile       string
	Timeout      time.Duration

	// TLS is "starttls" (StartTLS required), "tls" (ImplicitTLS) or
	// "none" (StartTLS none), for configurations written before StartTLS
	// and ImplicitTLS; it cannot be combined with them.
	TLS string

	// Log receives a warning when the checkpoint goes out unencrypted
	// under StartTLS "opportunistic"; nil logs nothing.
	Log *zap.Logger
}

var _ Target = (*SMTP)(nil)

// Name implements Target: "smtp:" and the recipients as configured,
// separated by commas.
func (s *SMTP) Name() string { return "smtp:" + strings.Join(s.To, ",") }

// Validate checks the settings as SMTPConfig.Validate does, and TLS.
func (s *SMTP) Validate() error {
	_, err := s.settings()
	return err
}

// settings returns s as an SMTPConfig, with TLS translated.
func (s *SMTP) settings() (SMTPConfig, error) {
	c := SMTPConfig{
		Host: s.Host, Port: s.Port, From: s.From, To: s.To,
		Username: s.Username, PasswordFile: s.PasswordFile, PasswordEnv: s.PasswordEnv,
		StartTLS: s.StartTLS, ImplicitTLS: s.ImplicitTLS, CAFile: s.CAFile, Timeout: s.Timeout,
	}
	switch s.TLS {
	case "":
	case TLSStartTLS, TLSImplicit, TLSNone:
		if s.StartTLS != "" || s.ImplicitTLS {
			return c, errors.New("tls: set together with starttls or implicit_tls: give only those")
		}
		switch s.TLS {
		case TLSStartTLS:
			c.StartTLS = StartTLSRequired
		case TLSImplicit:
			c.ImplicitTLS = true
		case TLSNone:
			c.StartTLS = StartTLSNone
		}
	default:
		return c, fmt.Errorf("tls: %q is not starttls, tls or none", s.TLS)
	}
	return c, c.Validate()
}

func (s *SMTP) log() *zap.Logger {
	if s.Log == nil {
		return zap.NewNop()
	}
	return s.Log
}

// Send implements Target.
func (s *SMTP) Send(ctx context.Context, cp Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail checkpoint: %w", err)
	}
	c, err := s.settings()
	if err != nil {
		return fmt.Errorf("smtp settings: %w", err)
	}
	if err := cp.check(); err != nil {
		return err
	}
	msg, err := Message(c.From, c.To, cp)
	if err != nil {
		return err
	}
	from, _ := parseAddress(c.From) // valid: checked by settings
	to := make([]string, len(c.To))
	for i, a := range c.To {
		addr, _ := parseAddress(a)
		to[i] = addr.Address
	}
	var password string
	if c.Username != "" {
		if password, err = c.password(); err != nil {
			return err
		}
	}
	tlsConfig, err := c.tlsConfig()
	if err != nil {
		return err
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("smtp timeout of %s: %w", timeout, context.DeadlineExceeded))
	defer cancel()
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.port()))
	d := delivery{c: c, log: s.log().With(zap.String("target", s.Name()), zap.String("smtp_addr", addr)),
		addr: addr, tls: tlsConfig, password: password}
	if err := d.run(ctx, from.Address, to, msg); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
			// Every deadline of the connection is ctx's, or was set
			// when ctx was cancelled: ctx is done, or will be in a
			// moment.
			<-ctx.Done()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("mail checkpoint via %s: %w (interrupted: %v)", addr, context.Cause(ctx), err)
		}
		return fmt.Errorf("mail checkpoint via %s: %w", addr, err)
	}
	return nil
}

func (c SMTPConfig) port() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.ImplicitTLS:
		return DefaultSMTPSPort
	}
	return DefaultSMTPPort
}

// password reads the password from PasswordFile or PasswordEnv.
func (c SMTPConfig) password() (string, error) {
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
func (c SMTPConfig) tlsConfig() (*tls.Config, error) {
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
	c        SMTPConfig
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
			d.log.Warn("smtp relay offers no starttls: sending the checkpoint unencrypted")
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

// parseAddress parses one address, bare or with a display name.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%q is not an e-mail address: it has a line break", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an e-mail address: %w", s, err)
	}
	return a, nil
}
