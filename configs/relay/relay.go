// Package relay holds the settings of an SMTP relay as the configuration
// gives them (notify.smtp, ledger.anchor.smtp), and checks them without
// reading files, the environment or the network. It is plain data: configs
// returns it, and the transport that delivers through it (scheduler/mailer)
// is built from it by the workflow. It imports only the standard library.
package relay

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// Values of Relay.StartTLS.
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

// Defaults of a relay.
const (
	DefaultSMTPPort    = 587 // submission, with STARTTLS
	DefaultSMTPSPort   = 465 // submissions, with implicit TLS
	DefaultSMTPTimeout = 30 * time.Second
)

// Relay is an SMTP relay and how to use it. The password is never part of
// it: PasswordFile or PasswordEnv says where to read it when sending.
type Relay struct {
	Host string `yaml:"host"` // the relay's host name (or IP address)
	// Port defaults to 587, or to 465 with ImplicitTLS.
	Port int    `yaml:"port"`
	From string `yaml:"from"` // sender, e.g. "retentiond@school.dk" or "Retentiond <retentiond@school.dk>"

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
// Each error starts with the setting's yaml name, e.g. "port: ...".
func (c Relay) Validate() error {
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
	if _, err := ParseAddress(c.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	return c.validateSecurity()
}

// validateSecurity checks authentication, TLS and the timeout.
func (c Relay) validateSecurity() error {
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

// Values of the earlier tls setting of ledger.anchor.smtp, which StartTLS
// and ImplicitTLS replace.
const (
	TLSStartTLS = "starttls" // StartTLS: required
	TLSImplicit = "tls"      // ImplicitTLS: true
	TLSNone     = "none"     // StartTLS: none
)

// WithTLS returns c with the earlier tls setting (TLSStartTLS, TLSImplicit
// or TLSNone; "" changes nothing) translated to StartTLS and ImplicitTLS.
// It cannot be combined with them.
func (c Relay) WithTLS(tls string) (Relay, error) {
	switch tls {
	case "":
		return c, nil
	case TLSStartTLS, TLSImplicit, TLSNone:
		if c.StartTLS != "" || c.ImplicitTLS {
			return c, errors.New("tls: set together with starttls or implicit_tls: give only those")
		}
	default:
		return c, fmt.Errorf("tls: %q is not starttls, tls or none", tls)
	}
	switch tls {
	case TLSStartTLS:
		c.StartTLS = StartTLSRequired
	case TLSImplicit:
		c.ImplicitTLS = true
	case TLSNone:
		c.StartTLS = StartTLSNone
	}
	return c, nil
}

// EffectivePort is the port to connect to: Port, or the default for ImplicitTLS.
func (c Relay) EffectivePort() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.ImplicitTLS:
		return DefaultSMTPSPort
	}
	return DefaultSMTPPort
}

// ParseAddress parses one address, bare or with a display name.
func ParseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%q is not an e-mail address: it has a line break", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an e-mail address: %w", s, err)
	}
	return a, nil
}
