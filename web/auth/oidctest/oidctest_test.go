package oidctest_test

import (
	"context"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/retentiond/retentiond/web/auth/oidctest"
)

// TestTokensVerifiedByGoOIDC: go-oidc discovers the provider and accepts
// its tokens, and refuses each kind of tampered token.
func TestTokensVerifiedByGoOIDC(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	p := oidctest.Start(t, oidctest.Options{Now: func() time.Time { return now }})
	ctx := oidc.ClientContext(context.Background(), p.Client())
	prov, err := oidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	v := prov.VerifierContext(ctx, &oidc.Config{ClientID: p.ClientID, Now: func() time.Time { return now }})
	u := oidctest.User{Subject: "s", OID: "o", PreferredUsername: "u@x.example", Email: "u@x.example", EmailVerified: true, Roles: []string{"r"}}
	raw, err := p.IDToken(u, "n1", oidctest.Tamper{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		OID           string   `json:"oid"`
		Username      string   `json:"preferred_username"`
		EmailVerified bool     `json:"email_verified"`
		Roles         []string `json:"roles"`
	}
	if err := tok.Claims(&c); err != nil || tok.Subject != "s" || tok.Nonce != "n1" || c.OID != "o" || c.Username != "u@x.example" || !c.EmailVerified || len(c.Roles) != 1 {
		t.Fatalf("token %+v claims %+v, %v", tok, c, err)
	}
	for name, tamper := range map[string]oidctest.Tamper{
		"other key": {OtherKey: true}, "audience": {WrongAudience: true}, "issuer": {WrongIssuer: true}, "expired": {Expired: true},
	} {
		raw, err := p.IDToken(u, "n1", tamper)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// go-oidc leaves the nonce to its caller.
	raw, _ = p.IDToken(u, "n1", oidctest.Tamper{WrongNonce: true})
	if tok, err := v.Verify(ctx, raw); err != nil || tok.Nonce == "n1" {
		t.Errorf("wrong nonce: %v %v", tok, err)
	}
}
