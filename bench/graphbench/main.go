// Command graphbench measures the mailbox connector against the fake Graph
// (connectors/m365/graphtest) with a fixed latency per request and Graph's
// limit of 4 concurrent requests per mailbox: it lists (plans) and deletes
// N messages spread over M mailboxes, and prints requests per deleted
// message and the wall time against the throttle bound, the least time
// those limits allow:
//
//	bound = latency × max over mailboxes of (listing pages + delete batches)
//
// since a batch of 4 or more steps occupies all 4 of a mailbox's slots.
// Deletion runs once with all targets in one DeleteBatch call (what the
// connector can do) and once in the executor's chunks of 2048 plan items.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
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
	chunk := flag.Int("chunk", 0, "targets per DeleteBatch call (0: all in one)")
	flag.Parse()
	if err := run(*n, *m, *latency, *chunk); err != nil {
		fmt.Fprintln(os.Stderr, "graphbench:", err)
		os.Exit(1)
	}
}

func run(n, mailboxes int, latency time.Duration, chunk int) error {
	var cl cleanup
	defer func() {
		for _, f := range cl.fns {
			f()
		}
	}()
	srv := graphtest.Start(&cl)
	dir, err := os.MkdirTemp("", "graphbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	secret, ca := filepath.Join(dir, "secret"), filepath.Join(dir, "ca.pem")
	os.WriteFile(secret, []byte(srv.Secret), 0o600)
	os.WriteFile(ca, srv.CertificatePEM(), 0o644)
	var mbs []string
	for i := range mailboxes {
		mbs = append(mbs, fmt.Sprintf("user%03d@skole.test", i))
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		srv.Put(mbs[i%mailboxes], graphtest.Message{Received: old.Add(time.Duration(i) * time.Minute), Subject: "Referat fra forældremøde", BodyPreview: "Hej alle, her er referatet fra mødet i går."})
	}
	srv.Latency, srv.Limit = latency, 4
	ctx := context.Background()
	c, err := m365.Open(ctx, connectors.Env{Source: "mail", Logger: zap.NewNop()}, m365.Options{
		TenantID: srv.Tenant, ClientID: srv.ClientID, ClientSecretFile: secret, Mailboxes: mbs,
		GraphURL: srv.GraphURL(), LoginURL: srv.URL + "/", CAFile: ca,
		ParallelMailboxes: min(mailboxes, 64), RequestsPerMinute: 1_000_000,
	})
	if err != nil {
		return err
	}
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
	deleted := 0
	for len(targets) > 0 {
		k := min(chunk, len(targets))
		rs, err := c.DeleteBatch(ctx, targets[:k])
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Outcome == connectors.OutcomeDeleted {
				deleted++
			}
		}
		targets = targets[k:]
	}
	wall := time.Since(start)
	st := srv.Stats()
	perMailbox := float64(n) / float64(mailboxes)
	bound := latency * time.Duration(math.Ceil(perMailbox/1000)+math.Ceil(perMailbox/20))
	fmt.Printf("messages=%d mailboxes=%d latency=%v chunk=%d deleted=%d requests=%d throttled=%d list_s=%.2f wall_s=%.2f bound_s=%.2f\n",
		n, mailboxes, latency, chunk, deleted, st.Requests, st.Throttled, listed.Seconds(), wall.Seconds(), bound.Seconds())
	if deleted != n {
		return fmt.Errorf("deleted %d of %d", deleted, n)
	}
	fmt.Printf("http_requests_per_deleted=%.4f (1/%.1f) wall_vs_throttle_bound=%.2f\n",
		float64(st.Requests)/float64(deleted), float64(deleted)/float64(st.Requests), wall.Seconds()/bound.Seconds())
	return nil
}
