package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"
)

// CLI configures how the command line takes `--as PERSON`.
type CLI struct {
	// TrustAs accepts --as for a person without os_users, unverified:
	// the ledger records auth trusted_cli. Off (the default), such a
	// command is refused: a person acts on the command line only from
	// one of their os_users. The demo sets it.
	TrustAs bool
}

// Web configures the web console (retentiond run serves it). Paths are
// absolute.
type Web struct {
	Listen string // host:port, e.g. "127.0.0.1:8080"
	// URL is the public base URL, without a trailing slash: mails link
	// to URL+"/batches/ID", and OIDC redirects to URL+"/auth/callback".
	URL         string
	TLSCertFile string // both or neither of these; readable files
	TLSKeyFile  string
	// TrustedProxies are the CIDRs of the TLS-terminating proxies whose
	// X-Forwarded-* headers are believed. Plain HTTP is allowed only on
	// a loopback Listen or when they are set.
	TrustedProxies []string
	// Links allows one-time sign-in links (retentiond web link PERSON).
	Links bool
	// PrintLinks is a sandbox setting (the demo's): once the console
	// listens, `retentiond run` prints a one-time sign-in link for every
	// person who holds a role. Allowed only with Links and a loopback
	// Listen, where whoever reads the service's output can use the
	// console on that machine anyway.
	PrintLinks bool
	// Locale is the console's language: da, sv or en; web.locale when
	// given, otherwise the top-level locale (Config.Locale, da by
	// default).
	Locale string
	// AcceptLanguage lets the browser choose among da, sv and en.
	AcceptLanguage bool
	// A session ends after SessionIdle without a request, and after
	// SessionMax in any case; SessionIdle <= SessionMax.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// OIDC is the identity provider people sign in with; nil: none.
	OIDC *OIDC
}

// OIDC is an OpenID Connect provider, e.g. Microsoft Entra ID.
type OIDC struct {
	Issuer   string // https URL, e.g. https://login.microsoftonline.com/{tenant}/v2.0
	ClientID string
	// ClientSecretFile holds the client secret (absolute; it exists and
	// was readable when the configuration was loaded). The secret itself
	// is read by whoever signs in with it, not kept in the Config.
	ClientSecretFile string
	Scopes           []string // default: openid profile email
	// AppRoles takes people's roles from the ID token's roles claim.
	AppRoles bool
}

// Web console defaults.
const (
	DefaultLocale      = "da"
	DefaultSessionIdle = 30 * time.Minute
	DefaultSessionMax  = 12 * time.Hour
)

// Locales are the languages retentiond writes in: the console, the
// notification mails and the approver-facing PDFs.
var Locales = []string{"da", "sv", "en"}

// DefaultScopes are web.oidc.scopes' default.
var DefaultScopes = []string{"openid", "profile", "email"}

type cliYAML struct {
	TrustAs bool `yaml:"trust_as"`
}

type webYAML struct {
	Listen         string         `yaml:"listen"`
	URL            string         `yaml:"url"`
	TLS            *webTLSYAML    `yaml:"tls"`
	TrustedProxies []string       `yaml:"trusted_proxies"`
	Links          bool           `yaml:"links"`
	PrintLinks     bool           `yaml:"print_links"`
	Locale         string         `yaml:"locale"`
	AcceptLanguage bool           `yaml:"accept_language"`
	Session        webSessionYAML `yaml:"session"`
	OIDC           *oidcYAML      `yaml:"oidc"`
}

type webTLSYAML struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

type webSessionYAML struct {
	Idle string `yaml:"idle"`
	Max  string `yaml:"max"`
}

type oidcYAML struct {
	Issuer           string   `yaml:"issuer"`
	ClientID         string   `yaml:"client_id"`
	ClientSecretFile string   `yaml:"client_secret_file"`
	Scopes           []string `yaml:"scopes"`
	AppRoles         bool     `yaml:"app_roles"`
}

// loopbackHost reports whether host (of a host:port or a URL) is a
// loopback address or localhost.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && ip.IsLoopback()
}

// loadWeb reads web: the console. It runs after people are read, and
// checks their oidc_subject and oidc_username against it.
func (c *Config) loadWeb(d *doc, w *webYAML) {
	if w == nil {
		if _, given := d.lines["web"]; !given {
			return
		}
		w = &webYAML{} // `web:` with nothing after it
	}
	wc := &Web{Listen: w.Listen, TrustedProxies: w.TrustedProxies, Links: w.Links, PrintLinks: w.PrintLinks, Locale: w.Locale,
		AcceptLanguage: w.AcceptLanguage, SessionIdle: DefaultSessionIdle, SessionMax: DefaultSessionMax}

	loopback := false
	if wc.Listen == "" {
		d.errorf("web.listen", "missing: give the address the console listens on, host:port (e.g. 127.0.0.1:8080)")
	} else if host, port, err := net.SplitHostPort(wc.Listen); err != nil || port == "" {
		d.errorf("web.listen", "%q is not host:port (write e.g. 127.0.0.1:8080)", wc.Listen)
	} else {
		loopback = loopbackHost(host)
		if w.TLS == nil && len(wc.TrustedProxies) == 0 && !loopback {
			d.errorf("web.listen", "%q would serve sign-ins over plain HTTP on the network: give tls (cert and key), "+
				"or put the console behind a TLS proxy and list the proxy in trusted_proxies, or listen on 127.0.0.1", wc.Listen)
		}
	}

	if w.TLS != nil {
		wc.TLSCertFile, wc.TLSKeyFile = c.path(w.TLS.Cert, ""), c.path(w.TLS.Key, "")
		switch {
		case w.TLS.Cert == "" && w.TLS.Key == "":
			d.errorf("web.tls", "give cert and key (PEM files), or remove tls")
		case w.TLS.Cert == "":
			d.errorf("web.tls.cert", "missing: tls needs both cert and key")
		case w.TLS.Key == "":
			d.errorf("web.tls.key", "missing: tls needs both cert and key")
		}
		if w.TLS.Cert != "" {
			checkReadable(d, "web.tls.cert", w.TLS.Cert, wc.TLSCertFile)
		}
		if w.TLS.Key != "" {
			checkReadable(d, "web.tls.key", w.TLS.Key, wc.TLSKeyFile)
		}
	}
	for i, p := range wc.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			d.errorf(fmt.Sprintf("web.trusted_proxies[%d]", i), "%q is not a CIDR (write e.g. 10.0.0.5/32 for one proxy, or 10.0.0.0/24)", p)
		}
	}

	wc.URL = strings.TrimSuffix(w.URL, "/")
	if w.URL == "" {
		d.errorf("web.url", "missing: give the address people reach the console at, e.g. https://retentiond.skole.example (mails link to it)")
	} else if u, err := url.Parse(w.URL); err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" ||
		(u.Scheme != "https" && u.Scheme != "http") {
		d.errorf("web.url", "%q is not an absolute http(s) URL (write e.g. https://retentiond.skole.example)", w.URL)
	} else if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(w.URL, "#") {
		d.errorf("web.url", "%q has a query or fragment: give the base URL only", w.URL)
	} else if u.User != nil {
		d.errorf("web.url", "%q carries a user name: give the base URL only", w.URL)
	} else if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		d.errorf("web.url", "%q is plain HTTP, so sign-ins would cross the network unencrypted: use https (the TLS of the console or its proxy)", w.URL)
	}

	if wc.PrintLinks {
		switch {
		case !wc.Links:
			d.errorf("web.print_links", "needs links: true (it prints one-time sign-in links): set links: true, or remove print_links")
		case wc.Listen != "" && !loopback:
			d.errorf("web.print_links", "is a sandbox setting: it prints sign-in links only for a console that listens on loopback (e.g. 127.0.0.1:8080), not on %q; remove print_links and issue links with `retentiond web link PERSON`", wc.Listen)
		}
	}

	if wc.Locale == "" {
		wc.Locale = c.Locale // the top-level locale, da by default
	} else if !slices.Contains(Locales, wc.Locale) {
		d.errorf("web.locale", "%q is not a language of the console (use da, sv or en)", wc.Locale)
	}

	if w.Session.Idle != "" {
		wc.SessionIdle = positiveDuration(d, "web.session.idle", w.Session.Idle, "30m")
	}
	if w.Session.Max != "" {
		wc.SessionMax = positiveDuration(d, "web.session.max", w.Session.Max, "12h")
	}
	if wc.SessionIdle > 0 && wc.SessionMax > 0 && wc.SessionIdle > wc.SessionMax {
		d.errorf("web.session.idle", "%s is longer than session.max (%s): a session ends at max in any case; shorten idle or lengthen max",
			shortDuration(wc.SessionIdle), shortDuration(wc.SessionMax))
	}

	if w.OIDC != nil {
		wc.OIDC = c.loadOIDC(d, w.OIDC)
	}
	if wc.OIDC == nil && !wc.Links {
		d.errorf("web", "nobody could sign in: configure oidc (e.g. Microsoft Entra ID), or set links: true for one-time sign-in links")
	}
	c.Web = wc
}

func (c *Config) loadOIDC(d *doc, o *oidcYAML) *OIDC {
	oc := &OIDC{Issuer: strings.TrimSuffix(o.Issuer, "/"), ClientID: o.ClientID, Scopes: o.Scopes, AppRoles: o.AppRoles}
	if o.Issuer == "" {
		d.errorf("web.oidc.issuer", "missing: give the provider's issuer, e.g. https://login.microsoftonline.com/TENANT-ID/v2.0")
	} else if u, err := url.Parse(o.Issuer); err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		d.errorf("web.oidc.issuer", "%q is not an https URL without query (write e.g. https://login.microsoftonline.com/TENANT-ID/v2.0)", o.Issuer)
	} else if u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname())) {
		d.errorf("web.oidc.issuer", "%q is not https: the provider's keys and tokens must come over TLS", o.Issuer)
	}
	if strings.TrimSpace(o.ClientID) == "" {
		d.errorf("web.oidc.client_id", "missing: give the application (client) id the provider registered for retentiond")
	}
	if o.ClientSecretFile == "" {
		d.errorf("web.oidc.client_secret_file", "missing: give the file holding the client secret (readable by retentiond only)")
	} else {
		oc.ClientSecretFile = c.path(o.ClientSecretFile, "")
		checkReadable(d, "web.oidc.client_secret_file", o.ClientSecretFile, oc.ClientSecretFile)
	}
	if o.Scopes == nil {
		oc.Scopes = slices.Clone(DefaultScopes)
	} else if !slices.Contains(o.Scopes, "openid") {
		d.errorf("web.oidc.scopes", "must include openid (the default is openid, profile, email)")
	}
	for i, s := range o.Scopes {
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			d.errorf(fmt.Sprintf("web.oidc.scopes[%d]", i), "%q is not a scope: one word per entry", s)
		}
	}
	return oc
}

// checkReadable reports at field if file (written as given, relative to
// the configuration's directory) cannot be opened for reading or is empty.
// It does not read the file.
func checkReadable(d *doc, field, given, file string) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			d.errorf(field, "%q: no such file (looked for %s)", given, file)
		} else {
			d.errorf(field, "%q cannot be read: %v", given, err)
		}
		return
	}
	defer f.Close()
	switch st, err := f.Stat(); {
	case err != nil:
		d.errorf(field, "%q cannot be read: %v", given, err)
	case st.IsDir():
		d.errorf(field, "%q is a directory (%s): give a file", given, file)
	case st.Size() == 0:
		d.errorf(field, "%q is empty (%s)", given, file)
	}
}

// positiveDuration reads s, written at field, as a duration above zero.
func positiveDuration(d *doc, field, s, example string) time.Duration {
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		d.errorf(field, "%q is not a positive duration such as %s", s, example)
		return 0
	}
	return v
}

// shortDuration writes d as 12h or 1h30m rather than 12h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// checkPeopleOIDC checks the people's oidc_subject and oidc_username:
// each names one person, and only with web.oidc configured.
func (c *Config) checkPeopleOIDC(d *doc) {
	subjects := map[string]string{}  // subject → person id
	usernames := map[string]string{} // username, case folded → person id
	bad := func(s string) bool {
		return strings.TrimSpace(s) != s || strings.ContainsFunc(s, unicode.IsControl)
	}
	for i, p := range c.People {
		path := fmt.Sprintf("people[%d]", i)
		if p.OIDCSubject != "" {
			f := path + ".oidc_subject"
			switch other, dup := subjects[p.OIDCSubject]; {
			case bad(p.OIDCSubject):
				d.errorf(f, "%q is not a subject: copy the user's object id (oid) as the provider shows it", p.OIDCSubject)
			case dup:
				d.errorf(f, "%q is also the subject of %s: one sign-in must be one person", p.OIDCSubject, other)
			default:
				subjects[p.OIDCSubject] = p.ID
			}
		}
		if p.OIDCUsername != "" {
			f := path + ".oidc_username"
			key := strings.ToLower(p.OIDCUsername)
			switch other, dup := usernames[key]; {
			case bad(p.OIDCUsername) || strings.ContainsRune(p.OIDCUsername, ' '):
				d.errorf(f, "%q is not a user name: write it as the provider shows it, e.g. anna@skole.example", p.OIDCUsername)
			case dup:
				d.errorf(f, "%q is also the user name of %s: one sign-in must be one person", p.OIDCUsername, other)
			default:
				usernames[key] = p.ID
			}
		}
		if (p.OIDCSubject != "" || p.OIDCUsername != "") && (c.Web == nil || c.Web.OIDC == nil) {
			field := path + ".oidc_subject"
			if p.OIDCSubject == "" {
				field = path + ".oidc_username"
			}
			d.errorf(field, "set, but web.oidc is not configured: configure web.oidc, or remove it")
		}
	}
}
