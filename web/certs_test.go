package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// pair makes a self-signed certificate for 127.0.0.1 with serial and
// the given validity, as PEM.
func pair(t *testing.T, serial int64, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "console.skole.example"},
		NotBefore: notBefore, NotAfter: notAfter, DNSNames: []string{"console.skole.example"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TestCertificateRenewedWithoutRestart serves TLS through Certs and
// replaces the files as a renewal does: the new certificate is served
// once CertCheckInterval has passed, and a broken, mismatched or expired
// pair is refused with the one in use kept.
func TestCertificateRenewedWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "console.crt"), filepath.Join(dir, "console.key")
	clk := &fakeClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	valid := func() (time.Time, time.Time) { return clk.now().Add(-time.Hour), clk.now().Add(90 * 24 * time.Hour) }
	stamp := clk.now().Add(-48 * time.Hour)
	write := func(c, k []byte) {
		t.Helper()
		stamp = stamp.Add(time.Second) // renewals are seconds apart at least
		for f, b := range map[string][]byte{certFile: c, keyFile: k} {
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(f, stamp, stamp); err != nil {
				t.Fatal(err)
			}
		}
	}
	nb, na := valid()
	c1, k1 := pair(t, 1, nb, na)
	write(c1, k1)

	core, logs := observer.New(zap.InfoLevel)
	certs, err := NewCerts(certFile, keyFile, clk.now, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{GetCertificate: certs.GetCertificate}
	srv.StartTLS()
	defer srv.Close()
	served := func() int64 {
		t.Helper()
		conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true, ServerName: "console.skole.example"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := served(); got != 1 {
		t.Fatalf("serial %d served, want 1", got)
	}

	c2, k2 := pair(t, 2, nb, na)
	write(c2, k2)
	clk.add(CertCheckInterval / 2)
	if got := served(); got != 1 {
		t.Fatalf("serial %d served before the check interval, want 1 still", got)
	}
	clk.add(CertCheckInterval)
	if got := served(); got != 2 {
		t.Fatalf("serial %d served after renewal, want 2", got)
	}

	c3, k3 := pair(t, 3, nb, na)
	_, kOther := pair(t, 4, nb, na)
	expiredC, expiredK := pair(t, 5, clk.now().Add(-100*24*time.Hour), clk.now().Add(-24*time.Hour))
	for _, bad := range []struct {
		name       string
		cert, key  []byte
		wantLogged string
	}{
		{"half written", c3[:len(c3)/2], k3, "does not load"},
		{"key of another certificate", c3, kOther, "does not load"},
		{"expired", expiredC, expiredK, "expired"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			before := logs.Len()
			write(bad.cert, bad.key)
			clk.add(CertCheckInterval)
			if got := served(); got != 2 {
				t.Fatalf("serial %d served, want 2 kept", got)
			}
			clk.add(CertCheckInterval)
			served()
			entries := logs.All()[before:]
			if len(entries) != 1 || !strings.Contains(entries[0].Message+" "+errorField(entries[0]), bad.wantLogged) {
				t.Fatalf("want one log line mentioning %q, got %v", bad.wantLogged, entries)
			}
		})
	}

	// A configuration reload reads the files at once.
	write(c3, k3)
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := served(); got != 3 {
		t.Fatalf("serial %d served after Reload, want 3", got)
	}
	write(c3, kOther)
	if err := certs.Reload(); err == nil {
		t.Fatal("Reload accepted a key of another certificate")
	}
	if got := served(); got != 3 {
		t.Fatalf("serial %d served after a refused Reload, want 3", got)
	}
}

func errorField(e observer.LoggedEntry) string {
	if err, ok := e.ContextMap()["error"].(string); ok {
		return err
	}
	return ""
}

func TestNewCertsRefuses(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	if _, err := NewCerts(filepath.Join(dir, "missing.crt"), filepath.Join(dir, "missing.key"), clk.now, nil); err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Fatalf("a missing file: %v, want an error naming it", err)
	}
	c, _ := pair(t, 1, clk.now().Add(-time.Hour), clk.now().Add(time.Hour))
	_, k := pair(t, 2, clk.now().Add(-time.Hour), clk.now().Add(time.Hour))
	certFile, keyFile := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	os.WriteFile(certFile, c, 0o600)
	os.WriteFile(keyFile, k, 0o600)
	if _, err := NewCerts(certFile, keyFile, clk.now, nil); err == nil || !strings.Contains(err.Error(), "c.crt") {
		t.Fatalf("a mismatched key: %v, want an error naming the files", err)
	}
	// An expired certificate at start is served (the service runs) and
	// logged.
	ec, ek := pair(t, 3, clk.now().Add(-48*time.Hour), clk.now().Add(-time.Hour))
	os.WriteFile(certFile, ec, 0o600)
	os.WriteFile(keyFile, ek, 0o600)
	core, logs := observer.New(zap.InfoLevel)
	if _, err := NewCerts(certFile, keyFile, clk.now, zap.New(core)); err != nil {
		t.Fatalf("an expired certificate at start: %v", err)
	}
	if logs.FilterMessageSnippet("expired").Len() != 1 {
		t.Fatalf("an expired certificate at start was not logged: %v", logs.All())
	}
}
