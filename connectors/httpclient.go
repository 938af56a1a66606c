package connectors

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// HTTPTransport returns the base HTTP transport of a connector that talks
// to a cloud service: http.DefaultTransport's settings with up to 64 idle
// connections per host, trusting the certificates in caFile (a PEM file,
// relative to baseDir unless absolute) beside the system's roots when
// caFile is set — for a TLS-inspecting proxy or a test server.
func HTTPTransport(baseDir, caFile string) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if caFile == "" {
		return tr, nil
	}
	p := caFile
	if !filepath.IsAbs(p) {
		p = filepath.Join(baseDir, p)
	}
	pem, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %s holds no PEM certificate", p)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return tr, nil
}

// Sleep waits for d or until ctx ends, and returns ctx's error in the
// latter case (also when d is not positive and ctx has ended).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
