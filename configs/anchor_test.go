package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/configs/relay"
)

// TestAnchorConfig: ledger.anchor comes back as plain data (a directory,
// a relay and its recipients), the earlier tls setting translated, and
// every mistake reported at its setting; the scheduler builds the
// transports from it.
func TestAnchorConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "policy.yaml"), must(os.ReadFile(filepath.Join("testdata", "good-policy.yaml"))), 0o600)
	if err := os.Mkdir(filepath.Join(dir, "dpo"), 0o700); err != nil {
		t.Fatal(err)
	}
	load := func(anchor string) (*Config, error) {
		file := filepath.Join(dir, "retentiond.yaml")
		os.WriteFile(file, []byte(`version: 1
ledger:
  origin: test.invalid/ledger
  anchor:
`+anchor+`
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: share, kind: testkind, options: {root: /srv/share}}
`), 0o600)
		return Load(file, testRegistry())
	}
	cfg, err := load(`    dir: dpo
    smtp: {host: smtp.skole.example, from: retentiond@skole.example, to: [dpo@skole.example], tls: tls, timeout: 45s}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Anchors) != 2 || cfg.Anchors[0].Dir != filepath.Join(dir, "dpo") || cfg.Anchors[0].SMTP != nil {
		t.Fatalf("anchors: %+v", cfg.Anchors)
	}
	s := cfg.Anchors[1].SMTP
	want := relay.Relay{Host: "smtp.skole.example", From: "retentiond@skole.example", ImplicitTLS: true, Timeout: 45e9}
	if s == nil || cfg.Anchors[1].Dir != "" || s.Relay != want || strings.Join(s.To, ",") != "dpo@skole.example" {
		t.Fatalf("smtp anchor: %+v", cfg.Anchors[1])
	}

	for _, c := range []struct{ anchor, want string }{
		{`    smtp: {host: smtp.skole.example, from: retentiond@skole.example, to: [dpo@skole.example], tls: ssl}`, `ledger.anchor.smtp.tls: "ssl" is not starttls, tls or none`},
		{`    smtp: {host: smtp.skole.example, from: retentiond@skole.example}`, "ledger.anchor.smtp.to: missing"},
		{`    smtp: {host: smtp.skole.example, from: retentiond@skole.example, to: [dpo@skole.example, "not an address"]}`, "ledger.anchor.smtp.to[1]:"},
		{`    smtp: {host: smtp.skole.example, from: retentiond@skole.example, to: [dpo@skole.example], port: 465}`, "ledger.anchor.smtp.port: 465 is the port for implicit TLS"},
		{`    dir: missing`, "ledger.anchor.dir"},
	} {
		if _, err := load(c.anchor); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.anchor, err, c.want)
		}
	}
}
