//go:build unix

// Command googlebench runs the fake Google Workspace
// (connectors/google/googletest) in a process of its own, with N Gmail
// messages and F Drive files spread over U users, a fixed latency per
// request and Gmail's per-user quota, so that the retentiond binary can
// be measured against it without sharing its CPU (bench/google.sh).
//
//	googlebench -serve DIR [-messages N] [-files F] [-users U] [-latency D]
//	googlebench -connect DIR
//
// It writes DIR/source.yaml (a google source block for retentiond.yaml)
// and the key and CA files it names, then serves until SIGTERM or
// SIGINT. SIGUSR1 marks the start of a phase (bench/google.sh sends it
// before `execute`) and writes DIR/mark once the mark is taken. On exit
// it prints the requests each route answered (the whole run, then the
// phase since the mark), and last one line of name=value figures: the
// requests answered (token, directory, Gmail and Drive, an HTTP batch
// counting one, 429s included), what is left, and the quota bounds of the
// whole run and of the phase since the mark.
//
// With -connect DIR it measures the connector alone against the fake that
// `googlebench -serve DIR` runs (from DIR/fake.json): one listing of every
// user, then each user's items deleted with DeleteBatch calls of the
// connector's CallItems, DeleteConcurrency users at once, as the executor
// does without its database; it prints the seconds of each. The fake's
// figures line (printed when it is stopped) has the requests and bound.
//
// The quota bound is the least time the quotas allow for the quota units
// the fake charged (requests it refused with 429 charge nothing): each
// user's units less one second's burst, at the user's rate, for the user
// that spent most, and the same for the project's total; the larger of
// the two (quota_bound_s). The sustained bound (sustained_bound_s) is the
// same without the burst: what a run much longer than a second approaches. Gmail charges 5 units a list or get (inside an HTTP batch
// too), 50 a batchDelete, 2 a history.list; Drive one a request, from the
// same per-user bucket in this fake.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/google"
	"github.com/retentiond/retentiond/connectors/google/googletest"
)

func main() {
	serve := flag.String("serve", "", "serve the fake Google; write the source block and its files to this directory")
	connect := flag.String("connect", "", "measure the connector alone against the fake served for this directory")
	messages := flag.Int("messages", 10000, "Gmail messages")
	files := flag.Int("files", 0, "Drive files (under Kladder/ in each user's My Drive)")
	users := flag.Int("users", 20, "users")
	latency := flag.Duration("latency", 50*time.Millisecond, "latency per request")
	userUnits := flag.Int("user-units", 250, "quota units a user may spend a second (Gmail's 250)")
	projectUnits := flag.Int("project-units", 20000, "quota units the project may spend a second (Gmail's 1,200,000 a minute)")
	flag.Parse()
	if *connect != "" {
		if err := measure(*connect); err != nil {
			fmt.Fprintln(os.Stderr, "googlebench:", err)
			os.Exit(1)
		}
		return
	}
	if *serve == "" || *users < 1 || *messages < 0 || *files < 0 {
		fmt.Fprintln(os.Stderr, "usage: googlebench -serve DIR [-messages N] [-files F] [-users U] [-latency D]")
		os.Exit(2)
	}
	if err := run(*serve, *messages, *files, *users, *latency, *userUnits, *projectUnits); err != nil {
		fmt.Fprintln(os.Stderr, "googlebench:", err)
		os.Exit(1)
	}
}

// old is when the first message arrived and the files were last
// modified: old enough for every rule.
var old = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)

func run(dir string, messages, files, nusers int, latency time.Duration, userUnits, projectUnits int) error {
	srv := googletest.New()
	defer srv.Close()
	srv.SetQuota(userUnits, projectUnits)
	const admin = "it-admin@skole.test"
	srv.AddUser(googletest.User{Email: admin, OrgUnit: "/IT"})
	users := make([]string, nusers)
	for i := range users {
		users[i] = fmt.Sprintf("user%03d@skole.test", i)
		srv.AddUser(googletest.User{Email: users[i], OrgUnit: "/Personale"})
		if messages > 0 {
			srv.EnableGmail(users[i])
		}
		if files > 0 {
			srv.AddDrive(users[i])
		}
	}
	for i := range messages {
		srv.PutMessage(users[i%nusers], googletest.Message{
			Internal: old.Add(time.Duration(i) * time.Minute),
			Subject:  "Referat fra forældremøde",
			Snippet:  "Hej alle, her er referatet fra mødet i går.",
		})
	}
	for i := range files {
		u := users[i%nusers]
		srv.PutFile(u, fmt.Sprintf("Kladder/%02d/rapport-%05d.docx", i/nusers%10, i), googletest.File{
			Content: []byte(fmt.Sprintf("udkast %d\n", i)), Modified: old, Created: old,
		})
	}
	// Set after filling: the helpers take no time, requests do.
	srv.SetLatency(latency)

	key, ca := filepath.Join(dir, "google-key.json"), filepath.Join(dir, "google-ca.pem")
	if err := os.WriteFile(key, srv.Key(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(ca, srv.CertificatePEM(), 0o644); err != nil {
		return err
	}
	src := fmt.Sprintf(`  - name: google
    kind: google
    options:
      key_file: %s
      admin: %s
      domains: [skole.test]
      users: [%s]
      gmail: %t
      drive: %t
      api_url: %s
      ca_file: %s
      parallel_users: %d
      user_units_per_second: %d
`, key, admin, strings.Join(users, ", "), messages > 0, files > 0, srv.URL, ca, nusers, userUnits)
	fj, err := json.Marshal(fake{KeyFile: key, CAFile: ca, URL: srv.URL, Admin: admin, Users: users, Gmail: messages > 0, Drive: files > 0})
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, "fake.json"), fj); err != nil {
		return err
	}
	// Written last and renamed into place: its presence says "ready".
	if err := writeAtomic(filepath.Join(dir, "source.yaml"), []byte(src)); err != nil {
		return err
	}

	start := snapshot(srv, users, files > 0)
	mark := start
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGUSR1)
	for s := range sig {
		if s != syscall.SIGUSR1 {
			break
		}
		mark = snapshot(srv, users, files > 0)
		if err := writeAtomic(filepath.Join(dir, "mark"), []byte("marked\n")); err != nil {
			return err
		}
	}
	end := snapshot(srv, users, files > 0)
	all, phase := end.minus(start), end.minus(mark)
	left, leftFiles := 0, 0
	for _, u := range users {
		left += len(srv.MessageIDs(u))
		if files > 0 {
			leftFiles += countFiles(srv, u)
		}
	}
	for _, p := range []struct {
		name string
		c    counters
	}{{"run", all}, {"phase", phase}} {
		var rs []string
		for r, n := range p.c.routes {
			rs = append(rs, fmt.Sprintf("%q=%d", r, n))
		}
		slices.Sort(rs)
		fmt.Printf("%s routes: %s\n", p.name, strings.Join(rs, " "))
	}
	fmt.Printf("requests=%d token_requests=%d throttled=%d gmail_requests=%d gmail_batches=%d gmail_units=%d drive_requests=%d drive_deletes=%d quota_bound_s=%.2f sustained_bound_s=%.2f phase_requests=%d phase_drive_requests=%d phase_quota_bound_s=%.2f phase_sustained_bound_s=%.2f phase_most_user_units=%d messages_left=%d files_left=%d\n",
		all.requests, all.tokens, all.throttled, all.gmail.Requests, all.gmail.Batches, all.gmail.Units,
		all.drive.Requests, all.drive.Deletes, all.bound(userUnits, projectUnits), all.sustained(userUnits, projectUnits),
		phase.requests, phase.drive.Requests, phase.bound(userUnits, projectUnits), phase.sustained(userUnits, projectUnits),
		phase.mostUnits(), left, leftFiles)
	return nil
}

// countFiles counts the files (not folders) left in user's My Drive.
func countFiles(srv *googletest.Server, user string) int {
	n := 0
	var walk func(folder string)
	walk = func(folder string) {
		for _, id := range srv.Children(folder) {
			f, ok := srv.FileByID(id)
			switch {
			case !ok:
			case f.IsFolder():
				walk(id)
			default:
				n++
			}
		}
	}
	walk(srv.Folder(user, ""))
	return n
}

// counters is a snapshot of the fake's counters.
type counters struct {
	requests, tokens, throttled int64
	routes                      map[string]int64
	gmail                       googletest.GmailStats
	drive                       googletest.DriveStats
	units                       map[string]int // quota units by user
}

// snapshot takes the counters; drives says the users have My Drives.
func snapshot(srv *googletest.Server, users []string, drives bool) counters {
	st := srv.Stats()
	c := counters{requests: st.Requests, tokens: st.TokenRequests, throttled: st.Throttled, routes: st.ByRoute,
		gmail: srv.GmailStats(""), drive: srv.TotalDriveStats(), units: map[string]int{}}
	for _, u := range users {
		c.units[u] = srv.GmailStats(u).Units
		if drives {
			c.units[u] += srv.DriveStats(u).Requests
		}
	}
	return c
}

func (c counters) minus(o counters) counters {
	d := counters{requests: c.requests - o.requests, tokens: c.tokens - o.tokens, throttled: c.throttled - o.throttled,
		gmail: googletest.GmailStats{Requests: c.gmail.Requests - o.gmail.Requests, Batches: c.gmail.Batches - o.gmail.Batches, Units: c.gmail.Units - o.gmail.Units},
		drive: googletest.DriveStats{Requests: c.drive.Requests - o.drive.Requests, Deletes: c.drive.Deletes - o.drive.Deletes},
		units: map[string]int{}, routes: map[string]int64{}}
	for r, n := range c.routes {
		if n -= o.routes[r]; n != 0 {
			d.routes[r] = n
		}
	}
	for u, n := range c.units {
		d.units[u] = n - o.units[u]
	}
	return d
}

// bound is the least time in seconds the quotas allow for the units
// charged: a token bucket of rate r and burst r (one second) needs
// (units - r) / r seconds for units above its burst.
func (c counters) bound(userRate, projectRate int) float64 {
	most, total := 0, 0
	for _, n := range c.units {
		most = max(most, n)
		total += n
	}
	secs := func(units, rate int) float64 {
		if rate <= 0 {
			return 0
		}
		return math.Max(0, float64(units-rate)/float64(rate))
	}
	return math.Max(secs(most, userRate), secs(total, projectRate))
}

// sustained is the time in seconds the quotas' sustained rates need for
// the units charged, without the burst: what a long run approaches.
func (c counters) sustained(userRate, projectRate int) float64 {
	total := 0
	for _, n := range c.units {
		total += n
	}
	b := float64(c.mostUnits()) / float64(userRate)
	if projectRate > 0 {
		b = math.Max(b, float64(total)/float64(projectRate))
	}
	return b
}

// mostUnits is the most units one user was charged.
func (c counters) mostUnits() int {
	most := 0
	for _, n := range c.units {
		most = max(most, n)
	}
	return most
}

// fake is how -connect reaches the fake -serve runs.
type fake struct {
	KeyFile, CAFile, URL, Admin string
	Users                       []string
	Gmail, Drive                bool
}

// measure lists every user and deletes what was listed, as the executor
// would, with the connector alone.
func measure(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "fake.json"))
	if err != nil {
		return err
	}
	var f fake
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("read fake.json: %w", err)
	}
	ctx := context.Background()
	start := time.Now()
	c, err := google.Open(ctx, connectors.Env{Source: "google", Logger: zap.NewNop()}, google.Options{
		KeyFile: f.KeyFile, Admin: f.Admin, Domains: []string{"skole.test"}, Users: f.Users,
		Gmail: &f.Gmail, Drive: &f.Drive, APIURL: f.URL, CAFile: f.CAFile, ParallelUsers: len(f.Users),
	})
	if err != nil {
		return err
	}
	defer c.Close()
	byUser := map[string][]connectors.Target{}
	var order []string
	n := 0
	err = c.List(ctx, connectors.ListOptions{ReceivedBefore: old.AddDate(10, 0, 0)}, func(it connectors.Item) error {
		// Drive items' containers are folders: group by user, as the
		// executor's chunks are.
		k := strings.Join(strings.SplitN(it.Ref, "/", 3)[:2], "/")
		if _, ok := byUser[k]; !ok {
			order = append(order, k)
		}
		byUser[k] = append(byUser[k], connectors.Target{Ref: it.Ref, Version: it.Version})
		n++
		return nil
	})
	if err != nil {
		return err
	}
	listed := time.Since(start)
	call := max(1, c.ContainerChunking().CallItems)
	var (
		mu      sync.Mutex
		deleted int
		first   error
		wg      sync.WaitGroup
	)
	slots := make(chan struct{}, c.DeleteConcurrency())
	for _, k := range order {
		ts := byUser[k]
		if len(ts) == 0 {
			continue
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			for from := 0; from < len(ts); from += call {
				rs, err := c.DeleteBatch(ctx, ts[from:min(from+call, len(ts))])
				mu.Lock()
				if err != nil && first == nil {
					first = err
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
	if first != nil {
		return first
	}
	wall := time.Since(start)
	st := c.Stats()
	fmt.Printf("connector_listed=%d connector_deleted=%d connector_list_s=%.2f connector_wall_s=%.2f connector_requests=%d connector_retries=%d connector_throttled=%d connector_waited_s=%.2f\n",
		n, deleted, listed.Seconds(), wall.Seconds(), st.Requests, st.Retries, st.Throttled, st.Waited.Seconds())
	if deleted != n {
		return fmt.Errorf("deleted %d of %d", deleted, n)
	}
	return nil
}

func writeAtomic(path string, b []byte) error {
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
