package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/web"
	"github.com/retentiond/retentiond/web/auth"
)

// console is the web console `run` serves beside the daemon when the
// configuration has a web section. It has a pipeline of its own on the same
// database (as a command run beside the service has): its requests run
// beside the daemon's jobs, and the daemon's configuration reloads wait for
// those jobs only.
type console struct {
	srv *web.Server
	p   *scheduler.Pipeline
	// certs serves web.tls's certificate and takes a renewed one without
	// a restart (nil without TLS).
	certs *web.Certs
	http  *http.Server
	done  chan struct{}
	log   *zap.Logger
}

// startConsole binds web.listen and serves the console on it (TLS from
// web.tls, else plain HTTP, which configs allows only on loopback or
// behind trusted proxies). It returns nil without a web section.
func (a *app) startConsole(ctx context.Context, cfg *configs.Config, log *zap.Logger) (*console, error) {
	if cfg.Web == nil {
		return nil, nil
	}
	log = log.Named("web")
	host, _ := os.Hostname()
	p, err := scheduler.New(ctx, cfg, scheduler.Deps{Clock: a.clock, Log: log, Host: host, Software: software()})
	if err != nil {
		return nil, fmt.Errorf("web console: %w", err)
	}
	secure := cfg.Web.TLSCertFile != "" || len(cfg.Web.TrustedProxies) > 0
	m, err := auth.New(ctx, auth.Options{Config: cfg, Store: p.Store, Refs: p.Refs, Clock: a.clock.Now, Log: log.Named("auth"), Secure: secure})
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("web console: %w", err)
	}
	srv, err := web.New(web.Options{Pipeline: p, Auth: m, Log: log})
	if err != nil {
		p.Close()
		return nil, err
	}
	// The operators' notification test sends as the daemon's mails go:
	// SMTP or Microsoft Graph.
	srv.SetSender(a.sender(p, log.Named("notify")))
	// Bound before anything runs: a port already taken stops the service
	// here, with nothing done.
	ln, err := net.Listen("tcp", cfg.Web.Listen)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("web console: listen on %s: %w", cfg.Web.Listen, err)
	}
	c := &console{srv: srv, p: p, done: make(chan struct{}), log: log,
		http: &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute,
			IdleTimeout: 2 * time.Minute, ErrorLog: zap.NewStdLog(log)}}
	tlsOn := cfg.Web.TLSCertFile != ""
	if tlsOn {
		if c.certs, err = web.NewCerts(cfg.Web.TLSCertFile, cfg.Web.TLSKeyFile, a.clock.Now, log.Named("tls")); err != nil {
			ln.Close()
			p.Close()
			return nil, fmt.Errorf("web console: %w", err)
		}
		c.http.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.certs.GetCertificate}
	}
	go func() {
		defer close(c.done)
		var err error
		if tlsOn {
			err = c.http.ServeTLS(ln, "", "")
		} else {
			err = c.http.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("the web console stopped", zap.Error(err))
		}
	}()
	log.Info("serving the web console", zap.String("address", ln.Addr().String()), zap.Bool("tls", tlsOn), zap.String("url", cfg.Web.URL))
	if cfg.Web.PrintLinks {
		if err := a.printLinks(ctx, cfg, m); err != nil {
			c.stop()
			return nil, err
		}
	}
	return c, nil
}

// printLinks prints a one-time sign-in link for every person who holds a
// role (web.print_links, a sandbox setting configs allows on loopback
// only), on stdout and not in the log.
func (a *app) printLinks(ctx context.Context, cfg *configs.Config, m *auth.Manager) error {
	for _, p := range cfg.People {
		if len(p.Roles) == 0 {
			continue
		}
		path, err := m.IssueLink(ctx, p.ID)
		if err != nil {
			return fmt.Errorf("web console: print_links: %w", err)
		}
		a.printf("console: %s%s — sign in as %s (%s)\n", cfg.Web.URL, path, esc(p.ID), esc(strings.Join(append(slices.Clone(p.Roles), p.Groups...), ", ")))
	}
	a.printf("console: each link signs in once, within %d minutes; retentiond web link PERSON --as OPERATOR prints another\n", int(auth.LinkTTL.Minutes()))
	return nil
}

// reloaded wraps the daemon's hook: once a reload succeeded, the console
// takes the configuration the daemon put in force (after its running
// requests), if it still has a web section.
func (c *console) reloaded(daemon *scheduler.Pipeline, next func(error)) func(error) {
	return func(err error) {
		if c != nil && err == nil {
			if cfg := daemon.CurrentConfig(); cfg.Web != nil {
				c.srv.SetConfig(cfg)
				if c.certs != nil {
					// A reload (SIGHUP) is also how an operator says "the
					// certificate was renewed": read it now.
					if err := c.certs.Reload(); err != nil {
						c.log.Error("the console's certificate does not load; the certificate in use stays", zap.Error(err))
					}
				}
			} else {
				c.log.Warn("the reloaded configuration has no web section; the console keeps serving until the service restarts")
			}
		}
		if next != nil {
			next(err)
		}
	}
}

// stop shuts the console down: it stops accepting, lets running requests
// finish (up to 10 seconds), and closes its pipeline.
func (c *console) stop() {
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.http.Shutdown(ctx); err != nil {
		c.log.Warn("web console shutdown", zap.Error(err))
		c.http.Close()
	}
	<-c.done
	// Plans and executions started from the console stop (an execution
	// after the slice in flight, recorded) before their pipeline closes.
	if err := c.srv.Close(ctx); err != nil {
		c.log.Warn("web console shutdown", zap.Error(err))
	}
	c.p.Close()
}
