package connectors

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHTTPTransportCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Without ca_file the test server's certificate is not trusted.
	plain, err := HTTPTransport(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&http.Client{Transport: plain}).Get(srv.URL); err == nil {
		t.Fatal("a self-signed server was trusted without ca_file")
	}
	// With it (relative to the base directory) it is.
	tr, err := HTTPTransport(dir, "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatalf("ca_file not trusted: %v", err)
	}
	resp.Body.Close()

	for file, want := range map[string]string{"missing.pem": "read ca_file", "junk.pem": "holds no PEM certificate"} {
		if _, err := HTTPTransport(dir, file); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ca_file %s: got %v, want an error with %q", file, err, want)
		}
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(t.Context(), time.Millisecond); err != nil {
		t.Fatalf("Sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context: %v", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep(0) on a cancelled context: %v", err)
	}
}
