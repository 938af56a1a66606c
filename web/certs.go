package web

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"
)

// CertCheckInterval is how often at most a handshake looks at the
// certificate files again: a renewed certificate (certbot, an ACME client,
// a new file from the municipality's PKI) is served within this long,
// without a restart.
const CertCheckInterval = time.Minute

// Certs serves the console's TLS certificate from web.tls's files and
// takes a renewed one without a restart: a handshake at least
// CertCheckInterval after the last look reads the files again if their
// size or modification time changed. A pair that does not load (half
// written, the key not the certificate's, expired) is refused with an
// error in the log, and the certificate in use stays.
type Certs struct {
	certFile, keyFile string
	now               func() time.Time
	log               *zap.Logger

	mu       sync.Mutex
	cert     *tls.Certificate
	stamp    string // size and modification times of both files at the last load
	checked  time.Time
	rejected string // the stamp of a pair refused last, logged once
}

// NewCerts loads the certificate and key files; an error names what is
// wrong with them.
func NewCerts(certFile, keyFile string, now func() time.Time, log *zap.Logger) (*Certs, error) {
	if log == nil {
		log = zap.NewNop()
	}
	c := &Certs{certFile: certFile, keyFile: keyFile, now: now, log: log}
	stamp, err := c.stampNow()
	if err != nil {
		return nil, err
	}
	cert, err := c.load()
	if errors.Is(err, errExpired) {
		// Served all the same, so the service (and its deletions) runs
		// while someone renews it; every browser will say why.
		log.Error("the console's certificate has expired: renew it (it is taken without a restart)", zap.Time("not_after", cert.Leaf.NotAfter))
	} else if err != nil {
		return nil, err
	}
	c.cert, c.stamp, c.checked = cert, stamp, now()
	return c, nil
}

// GetCertificate is the tls.Config hook.
func (c *Certs) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checked) >= CertCheckInterval || now.Before(c.checked) {
		c.checked = now
		c.refresh()
	}
	return c.cert, nil
}

// Reload reads the files again now (a configuration reload asks for it).
func (c *Certs) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked = c.now()
	stamp, err := c.stampNow()
	if err != nil {
		return err
	}
	cert, err := c.load()
	if err != nil {
		return err
	}
	c.cert, c.stamp, c.rejected = cert, stamp, ""
	return nil
}

// refresh loads the pair if it changed since the last load (c.mu held).
func (c *Certs) refresh() {
	stamp, err := c.stampNow()
	if err != nil {
		if c.rejected != err.Error() {
			c.rejected = err.Error()
			c.log.Error("the console's certificate files cannot be read; the certificate in use stays", zap.Error(err))
		}
		return
	}
	if stamp == c.stamp {
		return
	}
	cert, err := c.load()
	if err != nil {
		if c.rejected != stamp {
			c.rejected = stamp
			c.log.Error("the console's renewed certificate does not load; the certificate in use stays", zap.Error(err))
		}
		return
	}
	c.cert, c.stamp, c.rejected = cert, stamp, ""
	c.log.Info("the console's certificate was renewed", zap.Time("not_after", cert.Leaf.NotAfter), zap.String("subject", cert.Leaf.Subject.CommonName))
}

func (c *Certs) stampNow() (string, error) {
	var b bytes.Buffer
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("web.tls: %w", err)
		}
		fmt.Fprintf(&b, "%d/%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String(), nil
}

// errExpired refuses a certificate past its end: serving it would only
// make every browser refuse the console.
var errExpired = errors.New("the certificate has expired")

// load reads the pair; an expired certificate comes with errExpired.
func (c *Certs) load() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return nil, fmt.Errorf("web.tls: load %s and %s: %w", c.certFile, c.keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("web.tls: parse %s: %w", c.certFile, err)
		}
	}
	if c.now().After(cert.Leaf.NotAfter) {
		return &cert, fmt.Errorf("web.tls: %s: %w (on %s)", c.certFile, errExpired, cert.Leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	return &cert, nil
}
