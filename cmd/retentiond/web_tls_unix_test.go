//go:build unix

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConsoleCertificateRenewedOnReload: the service serves the console
// over TLS from web.tls's files; after the files are replaced (a renewal)
// a reload (SIGHUP) serves the new certificate, with the service never
// stopped. (Without a reload, a handshake a minute later takes it: web's
// TestCertificateRenewedWithoutRestart.)
func TestConsoleCertificateRenewedOnReload(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	certFile, keyFile := filepath.Join(dir, "console.crt"), filepath.Join(dir, "console.key")
	writePair := func(serial int64) {
		t.Helper()
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
			NotBefore: fixedNow.Add(-time.Hour), NotAfter: fixedNow.Add(90 * 24 * time.Hour), DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(key)
		if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writePair(1)
	addr := freePort(t)
	b, _ := os.ReadFile(cfg)
	text := strings.Replace(withWeb(string(b), addr), "url: http://", "url: https://", 1) + "  tls:\n    cert: console.crt\n    key: console.key\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := startService(t, cfg)
	if msg := svc.next(); !strings.HasPrefix(msg, "READY=1") {
		t.Fatalf("first notification %q", msg)
	}
	served := func() int64 {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := served(); got != 1 {
		t.Fatalf("serial %d served, want 1", got)
	}
	writePair(2)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if msg := svc.next(); msg != "RELOADING=1" {
		t.Fatalf("after SIGHUP: %q", msg)
	}
	if msg := svc.next(); !strings.HasPrefix(msg, "READY=1") || strings.Contains(msg, "not reloaded") {
		t.Fatalf("after the reload: %q", msg)
	}
	if got := served(); got != 2 {
		t.Fatalf("serial %d served after the renewal and a reload, want 2", got)
	}
}
