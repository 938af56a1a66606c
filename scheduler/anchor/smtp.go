package anchor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/scheduler/mailer"
)

// Values of SMTPConfig.StartTLS (see mailer).
const (
	StartTLSRequired      = mailer.StartTLSRequired
	StartTLSOpportunistic = mailer.StartTLSOpportunistic
	StartTLSNone          = mailer.StartTLSNone
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
	DefaultSMTPPort    = mailer.DefaultSMTPPort
	DefaultSMTPSPort   = mailer.DefaultSMTPSPort
	DefaultSMTPTimeout = mailer.DefaultSMTPTimeout
)

// ErrNoStartTLS is wrapped by the error of an SMTP target that requires
// STARTTLS when the relay does not offer it.
var ErrNoStartTLS = mailer.ErrNoStartTLS

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

// relay is the mailer's view of c.
func (c SMTPConfig) relay(log *zap.Logger) mailer.Relay {
	return mailer.Relay{
		Host: c.Host, Port: c.Port, From: c.From,
		Username: c.Username, PasswordFile: c.PasswordFile, PasswordEnv: c.PasswordEnv,
		StartTLS: c.StartTLS, ImplicitTLS: c.ImplicitTLS, CAFile: c.CAFile, Timeout: c.Timeout, Log: log,
	}
}

// Validate checks the settings without reading files or the environment.
// Each error starts with the setting's yaml name, e.g. "to[1]: ...".
func (c SMTPConfig) Validate() error {
	if err := c.relay(nil).Validate(); err != nil {
		return err
	}
	if len(c.To) == 0 {
		return errors.New("to: missing: give at least one recipient's address")
	}
	for i, a := range c.To {
		if _, err := mailer.ParseAddress(a); err != nil {
			return fmt.Errorf("to[%d]: %w", i, err)
		}
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
	if err := c.relay(nil).Check(); err != nil {
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
	log := zap.NewNop()
	if s.Log != nil {
		log = s.Log
	}
	return c.relay(log.With(zap.String("target", s.Name()))).Deliver(ctx, "mail checkpoint", c.To, msg)
}
