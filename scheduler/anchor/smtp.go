package anchor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs/relay"
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
	TLSStartTLS = relay.TLSStartTLS // StartTLS: required
	TLSImplicit = relay.TLSImplicit // ImplicitTLS: true
	TLSNone     = relay.TLSNone     // StartTLS: none
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

// SMTPConfig configures an SMTP target: the relay and how to reach it
// (see configs/relay), and the recipients. The password is never part of
// the configuration: PasswordFile or PasswordEnv says where to read it
// when sending.
type SMTPConfig struct {
	mailer.Relay `yaml:",inline"`
	To           []string `yaml:"to"` // one or more recipients, e.g. the DPO

	// Log receives a warning when a checkpoint goes out unencrypted
	// under StartTLS "opportunistic"; nil logs nothing. NewSMTP sets it.
	Log *zap.Logger `yaml:"-"`
}

// Validate checks the settings without reading files or the environment.
// Each error starts with the setting's yaml name, e.g. "to[1]: ...".
func (c SMTPConfig) Validate() error {
	if err := c.Relay.Validate(); err != nil {
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
	if err := mailer.Check(c.Relay); err != nil {
		return nil, err
	}
	c.To = slices.Clone(c.To)
	c.Log = log
	return &SMTP{SMTPConfig: c}, nil
}

// SMTP mails each checkpoint through a relay to every recipient at once,
// as text and as an attached file (see Message). Send succeeds only when
// the relay has accepted the message for every recipient; if it refuses
// one, nothing is sent.
//
// Its settings are an SMTPConfig's (Log, of its Relay, receives a warning
// when the checkpoint goes out unencrypted under StartTLS "opportunistic";
// nil logs nothing), plus TLS, the earlier form of StartTLS and
// ImplicitTLS.
type SMTP struct {
	SMTPConfig

	// TLS is "starttls" (StartTLS required), "tls" (ImplicitTLS) or
	// "none" (StartTLS none), for configurations written before StartTLS
	// and ImplicitTLS; it cannot be combined with them.
	TLS string
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
	c := s.SMTPConfig
	r, err := c.Relay.WithTLS(s.TLS)
	if err != nil {
		return c, err
	}
	c.Relay = r
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
	return mailer.Deliver(ctx, c.Relay, log.With(zap.String("target", s.Name())), "mail checkpoint", c.To, msg)
}
