package m365

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/retentiond/retentiond/connectors"
)

// Options configure a mailbox source: the `options:` of a source with
// `kind: m365`.
//
// Credentials never appear in the YAML: it names a file, an environment
// variable or a systemd credential (LoadCredential=) holding them.
type Options struct {
	// TenantID and ClientID identify the Entra ID app registration.
	TenantID string `yaml:"tenant_id"`
	ClientID string `yaml:"client_id"`

	// Exactly one way to authenticate. A certificate is preferred: a PEM
	// file holding the certificate and its unencrypted private key, or a
	// PKCS#12 (.pfx) file without a password.
	CertificateFile        string `yaml:"certificate_file"`
	CertificateCredential  string `yaml:"certificate_credential"` // name under $CREDENTIALS_DIRECTORY
	ClientSecretFile       string `yaml:"client_secret_file"`
	ClientSecretEnv        string `yaml:"client_secret_env"`
	ClientSecretCredential string `yaml:"client_secret_credential"` // name under $CREDENTIALS_DIRECTORY

	// Exactly one scope: the listed mailboxes, the (transitive) members of
	// a group given by object id, or every user in the tenant. The tenant
	// administrator should restrict the app to the same mailboxes (RBAC
	// for Applications); see docs/operators/sources.md.
	Mailboxes []string `yaml:"mailboxes"`
	Group     string   `yaml:"group"`
	AllUsers  bool     `yaml:"all_users"`
	// Exclude leaves mailboxes out of a group or all-users scope.
	Exclude []string `yaml:"exclude"`

	// ExchangeHolds lists mailboxes under a Litigation, eDiscovery or
	// retention hold. Graph cannot see such holds and cannot override
	// them: a message permanently deleted there stays in Recoverable Items
	// until the hold ends, so its deletion is recorded as held by Exchange,
	// never as destroyed. List them from Exchange Online PowerShell, e.g.
	// Get-Mailbox -ResultSize Unlimited | ? LitigationHoldEnabled.
	ExchangeHolds []string `yaml:"exchange_holds"`

	// Keywords and Categories mark a message sensitive (rule M1) when a
	// keyword appears as a whole word in its subject or preview, or it
	// carries one of the Outlook categories. CPR numbers always do.
	Keywords   []string `yaml:"keywords"`
	Categories []string `yaml:"categories"`

	// Throttling. Graph allows 4 concurrent requests per mailbox and
	// 10,000 requests per 10 minutes per mailbox and app.
	MaxConcurrentPerMailbox int `yaml:"max_concurrent_per_mailbox"` // 1..4, default 4
	RequestsPerMinute       int `yaml:"requests_per_minute"`        // whole source, default 3000
	ParallelMailboxes       int `yaml:"parallel_mailboxes"`         // default 8
	PageSize                int `yaml:"page_size"`                  // 1..1000, default 1000
	// Timeout bounds one HTTP request, default 100s.
	Timeout time.Duration `yaml:"timeout"`

	// GraphURL and LoginURL default to Microsoft's global cloud
	// (permanentDelete exists only there). CAFile adds trusted roots, for
	// a TLS-inspecting proxy.
	GraphURL string `yaml:"graph_url"`
	LoginURL string `yaml:"login_url"`
	CAFile   string `yaml:"ca_file"`
}

const (
	defaultGraphURL = "https://graph.microsoft.com/v1.0"
	defaultLoginURL = "https://login.microsoftonline.com/"
	graphScope      = "https://graph.microsoft.com/.default"
)

// Validate checks the options without reading files or the network.
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !isGUIDOrDomain(o.TenantID) {
		bad("tenant_id %q is not a tenant id: give the directory (tenant) id from the app registration's overview", o.TenantID)
	}
	if !isGUID(o.ClientID) {
		bad("client_id %q is not an application (client) id: give the GUID from the app registration's overview", o.ClientID)
	}
	creds := 0
	for _, s := range []string{o.CertificateFile, o.CertificateCredential, o.ClientSecretFile, o.ClientSecretEnv, o.ClientSecretCredential} {
		if s != "" {
			creds++
		}
	}
	if creds != 1 {
		bad("give exactly one of certificate_file, certificate_credential, client_secret_file, client_secret_env, client_secret_credential (found %d); secrets never go in the YAML", creds)
	}
	for _, c := range []string{o.CertificateCredential, o.ClientSecretCredential} {
		if c != "" && (strings.ContainsAny(c, `/\`) || c == "." || c == "..") {
			bad("credential name %q must be a plain name as given to systemd's LoadCredential=", c)
		}
	}
	scopes := 0
	if len(o.Mailboxes) > 0 {
		scopes++
	}
	if o.Group != "" {
		scopes++
		if !isGUID(o.Group) {
			bad("group %q is not a group object id (a GUID)", o.Group)
		}
	}
	if o.AllUsers {
		scopes++
	}
	if scopes != 1 {
		bad("give exactly one scope: mailboxes, group or all_users")
	}
	if len(o.Exclude) > 0 && len(o.Mailboxes) > 0 {
		bad("exclude applies to group and all_users scopes; remove the mailbox from mailboxes instead")
	}
	seen := map[string]bool{}
	for i, m := range o.Mailboxes {
		if !validMailbox(m) {
			bad("mailboxes[%d] %q is not a mailbox address (user@domain)", i, m)
		}
		if seen[strings.ToLower(m)] {
			bad("mailboxes[%d] %q is listed twice", i, m)
		}
		seen[strings.ToLower(m)] = true
	}
	for name, list := range map[string][]string{"exclude": o.Exclude, "exchange_holds": o.ExchangeHolds} {
		for i, m := range list {
			if !validMailbox(m) {
				bad("%s[%d] %q is not a mailbox address (user@domain)", name, i, m)
			}
		}
	}
	if o.MaxConcurrentPerMailbox < 0 || o.MaxConcurrentPerMailbox > 4 {
		bad("max_concurrent_per_mailbox %d: Graph allows at most 4 concurrent requests per mailbox", o.MaxConcurrentPerMailbox)
	}
	if o.RequestsPerMinute < 0 {
		bad("requests_per_minute must not be negative")
	}
	if o.ParallelMailboxes < 0 || o.ParallelMailboxes > 64 {
		bad("parallel_mailboxes %d: give 1 to 64", o.ParallelMailboxes)
	}
	if o.PageSize < 0 || o.PageSize > 1000 {
		bad("page_size %d: Graph pages hold at most 1000 messages", o.PageSize)
	}
	if o.Timeout < 0 {
		bad("timeout must not be negative")
	}
	for name, u := range map[string]string{"graph_url": o.GraphURL, "login_url": o.LoginURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "https" || p.Host == "" {
			bad("%s %q must be an https URL", name, u)
		}
	}
	return errors.Join(errs...)
}

func (o *Options) withDefaults() Options {
	c := *o
	if c.MaxConcurrentPerMailbox == 0 {
		c.MaxConcurrentPerMailbox = 4
	}
	if c.RequestsPerMinute == 0 {
		c.RequestsPerMinute = 3000
	}
	if c.ParallelMailboxes == 0 {
		c.ParallelMailboxes = 8
	}
	if c.PageSize == 0 {
		c.PageSize = 1000
	}
	if c.Timeout == 0 {
		c.Timeout = 100 * time.Second
	}
	if c.GraphURL == "" {
		c.GraphURL = defaultGraphURL
	}
	c.GraphURL = strings.TrimRight(c.GraphURL, "/")
	if c.LoginURL == "" {
		c.LoginURL = defaultLoginURL
	}
	return c
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case '0' <= r && r <= '9', 'a' <= r && r <= 'f', 'A' <= r && r <= 'F':
		default:
			return false
		}
	}
	return true
}

// isGUIDOrDomain accepts a tenant id or a tenant's verified domain name.
func isGUIDOrDomain(s string) bool {
	if isGUID(s) {
		return true
	}
	if s == "" || !strings.Contains(s, ".") || len(s) > 253 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '.' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// validMailbox accepts the addresses Graph takes in /users/{id}: a user
// principal name or SMTP address without slashes, spaces or controls.
func validMailbox(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(s) > 254 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '/' || r == '\\' || r == '?' || r == '#' || r == '%' {
			return false
		}
	}
	return true
}

// credential builds the azidentity credential the options describe.
func (o *Options) credential(baseDir string, transport policy.Transporter) (azcore.TokenCredential, error) {
	copts := azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: o.LoginURL},
		Transport: transport,
	}
	custom := o.LoginURL != defaultLoginURL
	if o.CertificateFile != "" || o.CertificateCredential != "" {
		data, where, err := connectors.ReadCredential(baseDir, o.CertificateFile, "", o.CertificateCredential)
		if err != nil {
			return nil, err
		}
		certs, key, err := azidentity.ParseCertificates(data, nil)
		if err != nil {
			return nil, fmt.Errorf("parse certificate %s: %w (give a PEM file with the certificate and an unencrypted key, or a PKCS#12 file without a password)", where, err)
		}
		return azidentity.NewClientCertificateCredential(o.TenantID, o.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: copts, DisableInstanceDiscovery: custom})
	}
	data, _, err := connectors.ReadCredential(baseDir, o.ClientSecretFile, o.ClientSecretEnv, o.ClientSecretCredential)
	if err != nil {
		return nil, err
	}
	secret := strings.TrimSpace(string(data))
	return azidentity.NewClientSecretCredential(o.TenantID, o.ClientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: copts, DisableInstanceDiscovery: custom})
}
