//go:build unix

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
// With -exec it deletes as the executor (scheduler.Execute) does instead:
// the listing is cut into chunks as a plan's are (store: at most
// -exec-chunk items, ending where a mailbox ends once -exec-min are in),
// DeleteConcurrency chunks run at once and each chunk's items go to
// DeleteBatch in slices of -slice, one after the other. Varying those
// shows what the executor's layout costs against the throttle bound,
// without the database.
//
// With -serve DIR it only runs the fake Graph, with the messages in place,
// so that the retentiond binary can be measured in a process of its own:
// it writes DIR/source.yaml (an m365 source block for retentiond.yaml) and
// the secret and CA files it names, serves until interrupted, and then
// prints the requests it answered. bench/graph.sh uses both. It also
// writes DIR/fake.json, with which `graphbench -connect DIR` runs the
// connector measurement above against that server, so that the fake's
// CPU time is spent in a process of its own, as it is for the binary
// (the counts of requests are asked of the server with SIGUSR1).
package main

import (
	"context"
	"encoding/json"
	"errors"
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
	connect := flag.String("connect", "", "measure the connector against the fake Graph that `graphbench -serve` runs for this directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	exec := flag.Bool("exec", false, "delete as the executor does: chunks of the plan, slices of each chunk in turn")
	execChunk := flag.Int("exec-chunk", 2048, "with -exec: most items per chunk")
	execMin := flag.Int("exec-min", 1024, "with -exec: a chunk of this many items ends where a mailbox ends")
	slice := flag.Int("slice", 256, "with -exec: items per DeleteBatch call within a chunk")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "graphbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
	}
	lay := layout{chunk: *chunk}
	if *exec {
		lay = layout{exec: true, chunk: *execChunk, min: *execMin, slice: *slice}
	}
	var cl cleanup
	var err error
	if *connect != "" {
		var fg fakeGraph
		if fg, err = readFake(*connect); err == nil {
			err = run(fg, lay)
		}
	} else {
		srv, mbs := fill(&cl, *n, *m)
		srv.Latency, srv.Limit = *latency, 4
		if *serve != "" {
			err = serveOnly(srv, mbs, *n, *serve)
		} else {
			var dir string
			if dir, err = os.MkdirTemp("", "graphbench"); err == nil {
				cl.Cleanup(func() { os.RemoveAll(dir) })
				var fg fakeGraph
				if fg, err = inProcess(srv, mbs, *n, dir); err == nil {
					err = run(fg, lay)
				}
			}
		}
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

// fakeGraph is a fake Graph to measure against: how to reach it, what it
// holds, and its counters.
type fakeGraph struct {
	Tenant, ClientID, SecretFile, CAFile, GraphURL, LoginURL string
	Mailboxes                                                []string
	Messages                                                 int
	Latency                                                  time.Duration
	stats                                                    func() (graphtest.Stats, error)
}

func inProcess(srv *graphtest.Server, mbs []string, n int, dir string) (fakeGraph, error) {
	secret, ca, err := writeFiles(srv, dir)
	if err != nil {
		return fakeGraph{}, err
	}
	return fakeGraph{Tenant: srv.Tenant, ClientID: srv.ClientID, SecretFile: secret, CAFile: ca, GraphURL: srv.GraphURL(),
		LoginURL: srv.URL + "/", Mailboxes: mbs, Messages: n, Latency: srv.Latency,
		stats: func() (graphtest.Stats, error) { return srv.Stats(), nil }}, nil
}

// readFake reads what `graphbench -serve dir` wrote; its counters are
// asked for with SIGUSR1, which makes it write dir/stats.json.
func readFake(dir string) (fakeGraph, error) {
	var fg fakeGraph
	b, err := os.ReadFile(filepath.Join(dir, "fake.json"))
	if err != nil {
		return fg, err
	}
	var w struct {
		fakeGraph
		PID int
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fg, fmt.Errorf("read fake.json: %w", err)
	}
	fg = w.fakeGraph
	fg.stats = func() (graphtest.Stats, error) {
		statsFile := filepath.Join(dir, "stats.json")
		os.Remove(statsFile)
		if err := syscall.Kill(w.PID, syscall.SIGUSR1); err != nil {
			return graphtest.Stats{}, fmt.Errorf("ask the fake Graph for its counters: %w", err)
		}
		for range 100 {
			if b, err := os.ReadFile(statsFile); err == nil {
				var st graphtest.Stats
				return st, json.Unmarshal(b, &st)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return graphtest.Stats{}, errors.New("the fake Graph did not write its counters")
	}
	return fg, nil
}

func serveOnly(srv *graphtest.Server, mbs []string, n int, dir string) error {
	secret, ca, err := writeFiles(srv, dir)
	if err != nil {
		return err
	}
	fg, _ := inProcess(srv, mbs, n, dir)
	fj, err := json.Marshal(struct {
		fakeGraph
		PID int
	}{fg, os.Getpid()})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "fake.json"), fj, 0o644); err != nil {
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
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGUSR1)
	for s := range sig {
		if s != syscall.SIGUSR1 {
			break
		}
		b, _ := json.Marshal(srv.Stats())
		if err := os.WriteFile(filepath.Join(dir, "stats.json.tmp"), b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(dir, "stats.json.tmp"), filepath.Join(dir, "stats.json")); err != nil {
			return err
		}
	}
	st := srv.Stats()
	fmt.Printf("requests=%d throttled=%d\n", st.Requests, st.Throttled)
	return nil
}

// layout is how the deletions are handed to DeleteBatch.
type layout struct {
	exec       bool
	chunk, min int // -chunk, or with exec the plan's chunks
	slice      int
}

// chunks cuts targets as a plan's chunks are cut: at most lay.chunk
// items, ending where a container ends once lay.min are in.
func (lay layout) chunks(targets []connectors.Target) [][]connectors.Target {
	var out [][]connectors.Target
	from := 0
	for i := range targets {
		n := i - from
		if n > 0 && (n == lay.chunk || n >= lay.min && container(targets[i-1].Ref) != container(targets[i].Ref)) {
			out = append(out, targets[from:i])
			from = i
		}
	}
	if from < len(targets) {
		out = append(out, targets[from:])
	}
	return out
}

func container(ref string) string {
	mb, _, _ := strings.Cut(ref, "/")
	return mb
}

func run(fg fakeGraph, lay layout) error {
	mbs, n, latency := fg.Mailboxes, fg.Messages, fg.Latency
	ctx := context.Background()
	c, err := m365.Open(ctx, connectors.Env{Source: "mail", Logger: zap.NewNop()}, m365.Options{
		TenantID: fg.Tenant, ClientID: fg.ClientID, ClientSecretFile: fg.SecretFile, Mailboxes: mbs,
		GraphURL: fg.GraphURL, LoginURL: fg.LoginURL, CAFile: fg.CAFile,
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
	var parts [][]connectors.Target
	switch {
	case lay.exec:
		parts = lay.chunks(targets)
	case lay.chunk <= 0:
		parts = [][]connectors.Target{targets}
	default:
		for from := 0; from < len(targets); from += lay.chunk {
			parts = append(parts, targets[from:min(from+lay.chunk, len(targets))])
		}
	}
	slice := len(targets)
	if lay.exec && lay.slice > 0 {
		slice = lay.slice
	}
	// Chunks of the plan in order, DeleteConcurrency calls (or chunks) at
	// a time; with -exec each chunk's slices in turn.
	var (
		mu      sync.Mutex
		deleted int
		firstEr error
		wg      sync.WaitGroup
	)
	slots := make(chan struct{}, c.DeleteConcurrency())
	for _, part := range parts {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			for from := 0; from < len(part); from += slice {
				rs, err := c.DeleteBatch(ctx, part[from:min(from+slice, len(part))])
				mu.Lock()
				if err != nil && firstEr == nil {
					firstEr = err
				}
				for _, r := range rs {
					if r.Outcome == connectors.OutcomeDeleted {
						deleted++
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstEr != nil {
		return firstEr
	}
	wall := time.Since(start)
	st, err := fg.stats()
	if err != nil {
		return err
	}
	perMailbox := float64(n) / float64(len(mbs))
	bound := latency * time.Duration(math.Ceil(perMailbox/1000)+math.Ceil(perMailbox/20))
	fmt.Printf("messages=%d mailboxes=%d latency=%v exec=%v chunks=%d slice=%d deleted=%d requests=%d throttled=%d list_s=%.2f wall_s=%.2f bound_s=%.2f\n",
		n, len(mbs), latency, lay.exec, len(parts), slice, deleted, st.Requests, st.Throttled, listed.Seconds(), wall.Seconds(), bound.Seconds())
	if deleted != n {
		return fmt.Errorf("deleted %d of %d", deleted, n)
	}
	fmt.Printf("http_requests_per_deleted=%.4f (1/%.1f) wall_vs_throttle_bound=%.2f\n",
		float64(st.Requests)/float64(deleted), float64(deleted)/float64(st.Requests), wall.Seconds()/bound.Seconds())
	return nil
}
