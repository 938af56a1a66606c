package configs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// webConfig writes a configuration with people and web (the text under
// `web:`, indented by two) into a new directory holding a client secret,
// a certificate and a key, and returns the file's path.
func webConfig(t *testing.T, people, web string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"client-secret", "tls/cert.pem", "tls/key.pem"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("s3cr3t-"+f+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	policy := abs(t, filepath.Join("testdata", "good-policy.yaml"))
	text := "version: 1\nledger: {origin: skole.example/ledger}\npolicies: [" + policy + "]\n" +
		"people:\n" + people + "sources: [{name: share, kind: testkind, options: {root: /srv}}]\n"
	if web != "" {
		text += "web:\n" + web
	}
	file := filepath.Join(dir, "retentiond.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

const anna = "  - {id: anna, roles: [approver], groups: [leaders]}\n"

const entra = `  oidc:
    issuer: https://login.microsoftonline.com/4a1b2c3d-0000-1111-2222-333344445555/v2.0
    client_id: 00000000-1111-2222-3333-444444444444
    client_secret_file: client-secret
`

// TestWebAbsent: without web: there is no console, and --as is not trusted.
func TestWebAbsent(t *testing.T) {
	c, err := Load(webConfig(t, anna, ""), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if c.Web != nil || c.CLI.TrustAs {
		t.Fatalf("web %+v, cli %+v", c.Web, c.CLI)
	}
}

// TestWebDefaults: the least a console needs, and the defaults it gets.
func TestWebDefaults(t *testing.T) {
	file := webConfig(t, anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080/\n  links: true\n")
	c, err := Load(file, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	want := Web{Listen: "127.0.0.1:8080", URL: "http://127.0.0.1:8080", Links: true, Locale: "da",
		SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour}
	if got := *c.Web; !webEqual(got, want) {
		t.Fatalf("web\n%+v\nwant\n%+v", got, want)
	}
}

func webEqual(a, b Web) bool {
	ao, bo := a.OIDC, b.OIDC
	a.OIDC, b.OIDC = nil, nil
	if (ao == nil) != (bo == nil) || ao != nil && fmt.Sprintf("%#v", *ao) != fmt.Sprintf("%#v", *bo) {
		return false
	}
	return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// TestWebEverything: every setting given; files resolved against the
// configuration's directory; the secret's path kept, never its text.
func TestWebEverything(t *testing.T) {
	people := "  - {id: anna, roles: [approver], groups: [leaders], oidc_subject: 9b1c-oid, oidc_username: Anna@Skole.Example}\n" +
		"  - {id: bo, roles: [operator], oidc_username: bo@skole.example}\n"
	file := webConfig(t, people, `  listen: 0.0.0.0:8443
  url: https://retentiond.skole.example/console
  tls: {cert: tls/cert.pem, key: tls/key.pem}
  trusted_proxies: [10.0.0.0/24, "fd00::/64"]
  links: true
  locale: sv
  accept_language: true
  session: {idle: 15m, max: 8h}
`+entra+`    scopes: [openid, email]
    app_roles: true
`)
	dir := filepath.Dir(file)
	c, err := Load(file, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	w := c.Web
	want := Web{Listen: "0.0.0.0:8443", URL: "https://retentiond.skole.example/console",
		TLSCertFile: filepath.Join(dir, "tls", "cert.pem"), TLSKeyFile: filepath.Join(dir, "tls", "key.pem"),
		TrustedProxies: []string{"10.0.0.0/24", "fd00::/64"}, Links: true, Locale: "sv", AcceptLanguage: true,
		SessionIdle: 15 * time.Minute, SessionMax: 8 * time.Hour,
		OIDC: &OIDC{Issuer: "https://login.microsoftonline.com/4a1b2c3d-0000-1111-2222-333344445555/v2.0",
			ClientID: "00000000-1111-2222-3333-444444444444", ClientSecretFile: filepath.Join(dir, "client-secret"),
			Scopes: []string{"openid", "email"}, AppRoles: true}}
	if !webEqual(*w, want) {
		t.Fatalf("web\n%+v %+v\nwant\n%+v %+v", *w, *w.OIDC, want, *want.OIDC)
	}
	if s := fmt.Sprintf("%#v %#v", *c.Web, *c.Web.OIDC); strings.Contains(s, "s3cr3t") {
		t.Fatalf("a file's text is in the configuration: %s", s)
	}
	a, _ := c.Person("anna")
	b, _ := c.Person("bo")
	if a.OIDCSubject != "9b1c-oid" || a.OIDCUsername != "Anna@Skole.Example" || b.OIDCSubject != "" || b.OIDCUsername != "bo@skole.example" {
		t.Fatalf("anna %+v, bo %+v", a, b)
	}
}

// TestWebOIDCDefaults: scopes default to openid, profile, email; an http
// issuer is allowed on a loopback address (a test's provider).
func TestWebOIDCDefaults(t *testing.T) {
	c, err := Load(webConfig(t, anna, `  listen: "[::1]:8080"
  url: http://localhost:8080
  oidc:
    issuer: http://127.0.0.1:39211/
    client_id: retentiond
    client_secret_file: client-secret
`), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	o := c.Web.OIDC
	if o.Issuer != "http://127.0.0.1:39211" || !slices.Equal(o.Scopes, []string{"openid", "profile", "email"}) || c.Web.Links {
		t.Fatalf("oidc %+v", *o)
	}
	// The default is not shared: changing one configuration's scopes
	// changes no other's.
	o.Scopes[0] = "changed"
	if DefaultScopes[0] != "openid" {
		t.Fatal("the default scopes were changed through a configuration")
	}
}

// TestWebPlainHTTP: plain HTTP is served only on a loopback address or
// behind a trusted proxy; TLS is served anywhere.
func TestWebPlainHTTP(t *testing.T) {
	for _, c := range []struct {
		web string
		ok  bool
	}{
		{"  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n", true},
		{"  listen: 127.0.0.2:8080\n  url: http://127.0.0.2:8080\n", true},
		{"  listen: localhost:8080\n  url: http://localhost:8080\n", true},
		{"  listen: \"[::1]:8080\"\n  url: http://[::1]:8080\n", true},
		{"  listen: \":8080\"\n  url: https://retentiond.skole.example\n", false},
		{"  listen: 0.0.0.0:8080\n  url: https://retentiond.skole.example\n", false},
		{"  listen: 192.168.1.5:8080\n  url: https://retentiond.skole.example\n", false},
		{"  listen: 192.168.1.5:8080\n  url: https://retentiond.skole.example\n  trusted_proxies: [192.168.1.1/32]\n", true},
		{"  listen: 0.0.0.0:8443\n  url: https://retentiond.skole.example\n  tls: {cert: tls/cert.pem, key: tls/key.pem}\n", true},
		// The public URL of a console on the network is https.
		{"  listen: 0.0.0.0:8443\n  url: http://retentiond.skole.example\n  tls: {cert: tls/cert.pem, key: tls/key.pem}\n", false},
	} {
		_, err := Load(webConfig(t, anna, c.web+"  links: true\n"), testRegistry())
		if (err == nil) != c.ok {
			t.Errorf("web\n%s: %v, want ok %v", c.web, err, c.ok)
		}
	}
}

// TestWebErrors: problems the corpus does not show, each with its field.
func TestWebErrors(t *testing.T) {
	for _, c := range []struct{ people, web, want string }{
		{anna, "  listen: 127.0.0.1:8080\n  url: https://x.example#top\n  links: true\n", `web.url: "https://x.example#top" has a query or fragment`},
		{anna, "  listen: 127.0.0.1:8080\n  url: https://u:p@x.example\n  links: true\n", `web.url: "https://u:p@x.example" carries a user name`},
		{anna, "  listen: 127.0.0.1:8080\n  url: ftp://x.example\n  links: true\n", `web.url: "ftp://x.example" is not an absolute http(s) URL`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n  tls: {key: tls/key.pem}\n", `web.tls.cert: missing`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n  tls: {}\n", `web.tls: give cert and key`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n  tls: {cert: tls, key: tls/key.pem}\n", `web.tls.cert: "tls" is a directory`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n  session: {idle: 13h}\n", `web.session.idle: 13h is longer than session.max (12h)`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n  session: {max: 0s}\n", `web.session.max: "0s" is not a positive duration`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n  session: {max: soon}\n", `web.session.max: "soon" is not a positive duration`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: yes please\n", `web.links: want true or false`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  oidc:\n    issuer: https://login.example/?x=1\n    client_id: c\n    client_secret_file: client-secret\n",
			`web.oidc.issuer: "https://login.example/?x=1" is not an https URL without query`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  oidc:\n    client_id: c\n    client_secret_file: client-secret\n", `web.oidc.issuer: missing`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  oidc:\n    issuer: https://login.example\n    client_id: c\n", `web.oidc.client_secret_file: missing`},
		{anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n" + entra + "    scopes: [openid, \"profile email\"]\n", `web.oidc.scopes[1]: "profile email" is not a scope`},
		{"  - {id: anna, roles: [approver], groups: [leaders], oidc_subject: \" x\"}\n", "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n" + entra, `people[0].oidc_subject: " x" is not a subject`},
		{"  - {id: anna, roles: [approver], groups: [leaders], oidc_username: \"anna skole\"}\n", "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n" + entra, `people[0].oidc_username: "anna skole" is not a user name`},
		// A console with links only has no provider to bind a subject to.
		{"  - {id: anna, roles: [approver], groups: [leaders], oidc_subject: abc}\n", "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n", `people[0].oidc_subject: set, but web.oidc is not configured`},
	} {
		_, err := Load(webConfig(t, c.people, c.web), testRegistry())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("web\n%s: %v\nwant %s", c.web, err, c.want)
		}
		if err != nil && !lineAndField.MatchString(err.Error()) {
			t.Errorf("no line in %v", err)
		}
	}
}

// TestWebSecretUnreadable: a client secret retentiond cannot read is
// found when the configuration is loaded, not at the first sign-in.
func TestWebSecretUnreadable(t *testing.T) {
	file := webConfig(t, anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n"+entra)
	secret := filepath.Join(filepath.Dir(file), "client-secret")
	if os.Geteuid() == 0 {
		// Root opens any file whatever its mode, but not a symbolic
		// link that points at itself.
		if err := os.Remove(secret); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("client-secret", secret); err != nil {
			t.Fatal(err)
		}
	} else if err := os.Chmod(secret, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file, testRegistry())
	if err == nil || !strings.Contains(err.Error(), `web.oidc.client_secret_file: "client-secret" cannot be read`) {
		t.Fatalf("got %v", err)
	}
}

// TestCLITrustAs: cli.trust_as is read; anything else under cli is not.
func TestCLITrustAs(t *testing.T) {
	file := webConfig(t, anna, "")
	b, _ := os.ReadFile(file)
	if err := os.WriteFile(file, append(b, "cli: {trust_as: true}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if !c.CLI.TrustAs || c.Web != nil {
		t.Fatalf("cli %+v web %+v", c.CLI, c.Web)
	}
	if err := os.WriteFile(file, append(b, "cli: {trust_as: maybe}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(file, testRegistry()); err == nil || !strings.Contains(err.Error(), ":7: cli.trust_as: want true or false") {
		t.Fatalf("got %v", err)
	}
}

// TestWebPrintLinks: print_links, the demo's sandbox setting, is taken
// only with links and a loopback listen.
func TestWebPrintLinks(t *testing.T) {
	for _, c := range []struct{ web, want string }{
		{"  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n  print_links: true\n", ""},
		{"  listen: \"[::1]:8080\"\n  url: http://[::1]:8080\n  links: true\n  print_links: true\n", ""},
		{"  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n" + entra + "  print_links: true\n", "web.print_links: needs links: true"},
		{"  listen: 0.0.0.0:8443\n  url: https://retentiond.skole.example\n  tls: {cert: tls/cert.pem, key: tls/key.pem}\n  links: true\n  print_links: true\n",
			`web.print_links: is a sandbox setting: it prints sign-in links only for a console that listens on loopback (e.g. 127.0.0.1:8080), not on "0.0.0.0:8443"`},
		{"  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n  print_links: maybe\n", "web.print_links: want true or false"},
	} {
		cfg, err := Load(webConfig(t, anna, c.web), testRegistry())
		if c.want == "" {
			if err != nil || !cfg.Web.PrintLinks {
				t.Errorf("web\n%s: %v (print_links %v)", c.web, err, err == nil && cfg.Web.PrintLinks)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("web\n%s: %v\nwant %s", c.web, err, c.want)
		} else if !lineAndField.MatchString(err.Error()) {
			t.Errorf("no line in %v", err)
		}
	}
	cfg, err := Load(webConfig(t, anna, "  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n"), testRegistry())
	if err != nil || cfg.Web.PrintLinks {
		t.Fatalf("print_links is off unless set: %v", err)
	}
}
