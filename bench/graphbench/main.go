// Command graphbench measures the mailbox connector against the fake Graph
// (connectors/m365/graphtest) with a fixed latency per request and Graph's
// limit of 4 concurrent requests per mailbox. It has two modes.
//
// By default it lists N messages spread over M mailboxes and deletes them
// all in one process, calling DeleteBatch as the executor does (chunks of
// -chunk targets, as many calls at once as DeleteConcurrency allows; -chunk
// 0 is one call with every target), and prints requests per deleted
// message and the wall time against the throttle bound, the least time
// those limits allow:
//
//	bound = latency × max over mailboxes of (listing pages + delete batches)
//
// since a batch of 4 or more steps occupies all 4 of a mailbox's slots.
//
// With -serve DIR it only runs the fake Graph, with the messages in place,
// so that the retentiond binary can be measured in a process of its own:
// it writes DIR/source.yaml (an m365 source block for retentiond.yaml) and
// the secret and CA files it names, serves until interrupted, and then
// prints the requests it answered. bench/graph.sh uses both.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/m365"
	"github.com/retentiond/retentiond/connectors/m365/graphtest"
)

type cleanup struct{ fns []func() }

func (c *cleanup) Cleanup(f func()) { c.fns = append(c.fns, f) }

func main() {
	n := flag.Int("n", 10000, "messages")
	m := flag.Int("mailboxes", 20, "mailboxes")
	latency := flag.Duration("latency", 50*time.Millisecond, "latency per request")
	chunk := flag.Int("chunk", 0, "targets per DeleteBatch call, DeleteConcurrency calls at a time (0: all in one call)")
	serve := flag.String("serve", "", "only serve the fake Graph; write the source block and its files to this directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "graphbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
	}
	var cl cleanup
	srv, mbs := fill(&cl, *n, *m)
	srv.Latency, srv.Limit = *latency, 4
	var err error
	if *serve != "" {
		err = serveOnly(srv, mbs, *serve)
	} else {
		err = run(srv, mbs, *n, *latency, *chunk)
	}
	pprof.StopCPUProfile()
	for _, f := range cl.fns {
		f()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "graphbench:", err)
		os.Exit(1)
	}
}

// old is when the first message arrived; the others follow a minute apart.
var old = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// fill starts the fake Graph with n messages over the given number of
// mailboxes.
func fill(cl *cleanup, n, mailboxes int) (*graphtest.Server, []string) {
	srv := graphtest.Start(cl)
	var mbs []string
	for i := range mailboxes {
		mbs = append(mbs, fmt.Sprintf("user%03d@skole.test", i))
	}
	for i := range n {
		srv.Put(mbs[i%mailboxes], graphtest.Message{Received: old.Add(time.Duration(i) * time.Minute), Subject: "Referat fra forældremøde", BodyPreview: "Hej alle, her er referatet fra mødet i går."})
	}
	return srv, mbs
}

// writeFiles writes the client secret and the fake's CA certificate to dir.
func writeFiles(srv *graphtest.Server, dir string) (secret, ca string, err error) {
	secret, ca = filepath.Join(dir, "graph.secret"), filepath.Join(dir, "graph-ca.pem")
	if err := os.WriteFile(secret, []byte(srv.Secret), 0o600); err != nil {
		return "", "", err
	}
	return secret, ca, os.WriteFile(ca, srv.CertificatePEM(), 0o644)
}

func serveOnly(srv *graphtest.Server, mbs []string, dir string) error {
	secret, ca, err := writeFiles(srv, dir)
	if err != nil {
		return err
	}
	src := fmt.Sprintf(`  - name: mail
    kind: m365
    options:
      tenant_id: %s
      client_id: %s
      client_secret_file: %s
      mailboxes: [%s]
      graph_url: %s
      login_url: %s/
      ca_file: %s
      parallel_mailboxes: %d
      requests_per_minute: 1000000
`, srv.Tenant, srv.ClientID, secret, strings.Join(mbs, ", "), srv.GraphURL(), srv.URL, ca, min(len(mbs), 64))
	// Written last and renamed into place: its presence says "ready".
	if err := os.WriteFile(filepath.Join(dir, "source.yaml.tmp"), []byte(src), 0o644); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "source.yaml.tmp"), filepath.Join(dir, "source.yaml")); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	st := srv.Stats()
	fmt.Printf("requests=%d throttled=%d\n", st.Requests, st.Throttled)
	return nil
}

func run(srv *graphtest.Server, mbs []string, n int, latency time.Duration, chunk int) error {
	dir, err := os.MkdirTemp("", "graphbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	secret, ca, err := writeFiles(srv, dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	c, err := m365.Open(ctx, connectors.Env{Source: "mail", Logger: zap.NewNop()}, m365.Options{
		TenantID: srv.Tenant, ClientID: srv.ClientID, ClientSecretFile: secret, Mailboxes: mbs,
		GraphURL: srv.GraphURL(), LoginURL: srv.URL + "/", CAFile: ca,
		ParallelMailboxes: min(len(mbs), 64), RequestsPerMinute: 1_000_000,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	var targets []connectors.Target
	err = c.List(ctx, connectors.ListOptions{ReceivedBefore: old.AddDate(10, 0, 0)}, func(it connectors.Item) error {
		targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
		return nil
	})
	if err != nil {
		return err
	}
	listed := time.Since(start)
	if chunk <= 0 {
		chunk = len(targets)
	}
	// As the executor: chunks of the plan in order, DeleteConcurrency calls
	// at a time.
	var (
		mu      sync.Mutex
		deleted int
		firstEr error
		wg      sync.WaitGroup
	)
	slots := make(chan struct{}, c.DeleteConcurrency())
	for from := 0; from < len(targets); from += chunk {
		part := targets[from:min(from+chunk, len(targets))]
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			rs, err := c.DeleteBatch(ctx, part)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstEr == nil {
				firstEr = err
			}
			for _, r := range rs {
				if r.Outcome == connectors.OutcomeDeleted {
					deleted++
				}
			}
		}()
	}
	wg.Wait()
	if firstEr != nil {
		return firstEr
	}
	wall := time.Since(start)
	st := srv.Stats()
	perMailbox := float64(n) / float64(len(mbs))
	bound := latency * time.Duration(math.Ceil(perMailbox/1000)+math.Ceil(perMailbox/20))
	fmt.Printf("messages=%d mailboxes=%d latency=%v chunk=%d deleted=%d requests=%d throttled=%d list_s=%.2f wall_s=%.2f bound_s=%.2f\n",
		n, len(mbs), latency, chunk, deleted, st.Requests, st.Throttled, listed.Seconds(), wall.Seconds(), bound.Seconds())
	if deleted != n {
		return fmt.Errorf("deleted %d of %d", deleted, n)
	}
	fmt.Printf("http_requests_per_deleted=%.4f (1/%.1f) wall_vs_throttle_bound=%.2f\n",
		float64(st.Requests)/float64(deleted), float64(deleted)/float64(st.Requests), wall.Seconds()/bound.Seconds())
	return nil
}
