package smb

import (
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
)

// counter is a TCP connection that counts the SMB2 messages each way (the
// direct-TCP framing: a 4-byte length before each message) and the most
// requests that were ever waiting for their responses at once.
type counter struct {
	net.Conn
	mu                  sync.Mutex
	sent, received      frames
	inFlight, maxFlight int
}

// frames splits a byte stream into length-prefixed messages.
type frames struct {
	head []byte // the length prefix read so far
	left int    // bytes of the current message still to come
	n    int    // messages begun
}

// feed consumes p and returns how many messages began in it.
func (f *frames) feed(p []byte) int {
	began := 0
	for len(p) > 0 {
		if f.left > 0 {
			k := min(f.left, len(p))
			f.left -= k
			p = p[k:]
			continue
		}
		k := min(4-len(f.head), len(p))
		f.head = append(f.head, p[:k]...)
		p = p[k:]
		if len(f.head) == 4 {
			f.left = int(binary.BigEndian.Uint32(f.head) & 0xffffff)
			f.head = f.head[:0]
			f.n++
			began++
		}
	}
	return began
}

func (c *counter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.inFlight += c.sent.feed(p)
	c.maxFlight = max(c.maxFlight, c.inFlight)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.inFlight -= c.received.feed(p[:n])
	c.mu.Unlock()
	return n, err
}

// requests returns the messages sent so far and the most in flight at once
// since the last call, and starts counting the most in flight anew.
func (c *counter) requests() (sent, maxFlight int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent, maxFlight = c.sent.n, c.maxFlight
	c.maxFlight = c.inFlight
	return sent, maxFlight
}

// counted is fresh, with the connector's requests counted.
func counted(t *testing.T) (*Conn, connectortest.DirFixture, *counter) {
	t.Helper()
	needServer(t)
	name := fmt.Sprintf("t%d", folders.Add(1))
	dir := filepath.Join(server.Dir, name)
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	var cnt *counter
	dial := func(ctx context.Context, address string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", address)
		if err != nil {
			return nil, err
		}
		cnt = &counter{Conn: c}
		return cnt, nil
	}
	c, err := open(t.Context(), server.URL+"/"+name, server.Password, nil, dial)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, connectortest.DirFixture{Dir: dir}, cnt
}

// TestDeleteRequestsPerFile: a deletion is the version check (open, query,
// close) and the removal (open for deletion, delete disposition, close),
// 6 requests a file, and the files of one folder are verified gone by one
// listing of it (open, two queries, close), where there were 9 a file (the
// check opened the name twice, and each file's absence was an open that
// failed). DeleteBatch adds 2 of its own (the folder is reachable).
func TestDeleteRequestsPerFile(t *testing.T) {
	c, f, cnt := counted(t)
	const n = 12
	old := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		f.Put(t, fmt.Sprintf("a/f%02d.txt", i), []byte("x"), old)
	}
	var targets []connectors.Target
	if err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
		return nil
	}); err != nil || len(targets) != n {
		t.Fatalf("listed %d, %v", len(targets), err)
	}
	before, _ := cnt.requests()
	rs, err := c.DeleteBatch(t.Context(), targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Outcome != connectors.OutcomeDeleted {
			t.Fatalf("%s: %v %v", r.Ref, r.Outcome, r.Err)
		}
		if f.Exists(t, r.Ref) {
			t.Errorf("%s is still there", r.Ref)
		}
	}
	after, _ := cnt.requests()
	if got, want := after-before, 2+6*n+4; got > want {
		t.Errorf("deleting %d files sent %d requests, want at most %d (6 a file and a listing)", n, got, want)
	}
}

// TestListReadsFoldersAhead: a listing of more folders than it may hold
// read ahead gives every file once, depth first in name order, exactly as
// the folders are on the disk, while several folders are read at once
// over the session.
func TestListReadsFoldersAhead(t *testing.T) {
	c, f, cnt := counted(t)
	old := time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for a := range 3 {
		for b := range 2 * listAhead / 3 {
			for k := range 2 {
				ref := fmt.Sprintf("d%d/e%03d/f%d.txt", a, b, k)
				f.Put(t, ref, []byte("x"), old)
			}
			if b%7 == 0 {
				f.Put(t, fmt.Sprintf("d%d/e%03d/deeper/g.txt", a, b), []byte("x"), old)
			}
		}
		f.Put(t, fmt.Sprintf("d%d/z.txt", a), []byte("x"), old)
	}
	f.Put(t, "top.txt", []byte("x"), old)
	err := filepath.WalkDir(f.Dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(f.Dir, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cnt.requests()
	var got []string
	if err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		got = append(got, it.Ref)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %d items:\n%s\nwant %d:\n%s", len(got), strings.Join(got, " "), len(want), strings.Join(want, " "))
	}
	if _, flight := cnt.requests(); flight < 2 {
		t.Errorf("at most %d request in flight while listing %d folders: the folders were read one by one", flight, 3*(1+2*listAhead/3))
	}

	// A listing stopped early stops its reading ahead too, and the
	// session goes on serving.
	stop := fmt.Errorf("enough")
	var seen int
	err = c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error {
		if seen++; seen == 5 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("stopped listing: %v, want %v", err, stop)
	}
	var d1 []string
	for _, ref := range want {
		if strings.HasPrefix(ref, "d1/") {
			d1 = append(d1, ref)
		}
	}
	got = got[:0]
	if err := c.List(t.Context(), connectors.ListOptions{Prefix: "d1"}, func(it connectors.Item) error {
		got = append(got, it.Ref)
		return nil
	}); err != nil || !slices.Equal(got, d1) {
		t.Errorf("listing d1 after a stopped listing: %d items, %v; want %d", len(got), err, len(d1))
	}
}

// TestConcurrentDeletionsHaveCredits: two DeleteBatch calls at once (as the
// executor makes them, DeleteConcurrency) keep deleteWorkers deletions
// each in flight over the one session; every query among them gets the
// credits it is charged, so none is refused by the server.
func TestConcurrentDeletionsHaveCredits(t *testing.T) {
	c, f := fresh(t)
	defer c.Close()
	old := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	const perCall = 4 * deleteWorkers
	n := c.DeleteConcurrency() * perCall
	for i := range n {
		f.Put(t, fmt.Sprintf("c%d/f%03d.txt", i%5, i), []byte("x"), old)
	}
	var targets []connectors.Target
	if err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
		return nil
	}); err != nil || len(targets) != n {
		t.Fatalf("listed %d, %v", len(targets), err)
	}
	var wg sync.WaitGroup
	results := make([][]connectors.Result, c.DeleteConcurrency())
	for k := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := c.DeleteBatch(t.Context(), targets[k*perCall:(k+1)*perCall])
			if err != nil {
				t.Error(err)
			}
			results[k] = rs
		}()
	}
	wg.Wait()
	for _, rs := range results {
		for _, r := range rs {
			if r.Outcome != connectors.OutcomeDeleted {
				t.Errorf("%s: %v %v", r.Ref, r.Outcome, r.Err)
			}
		}
	}
}

// TestVerifyFindsFilesStillPresent: the absence check after a removal,
// by listing (4 or more files of a folder, any case of the name) and one
// by one (fewer, or a folder too large to list for them), never takes a
// file that is there for a deleted one.
func TestVerifyFindsFilesStillPresent(t *testing.T) {
	c, f := fresh(t)
	defer c.Close()
	old := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	var targets []connectors.Target
	present := map[string]bool{}
	add := func(ref, onDisk string) {
		targets = append(targets, connectors.Target{Ref: ref, Version: "any"})
		if onDisk != "" {
			f.Put(t, onDisk, []byte("x"), old)
			present[ref] = true
		}
	}
	// A folder verified by its listing: two files there (one in other
	// case), three gone.
	add("list/a.txt", "list/a.txt")
	add("list/b.txt", "list/B.TXT")
	add("list/c.txt", "")
	add("list/d.txt", "")
	add("list/e.txt", "")
	// A folder of two: one by one.
	add("few/a.txt", "few/a.txt")
	add("few/b.txt", "")
	// A folder far larger than its removed files: one by one.
	for i := range verifyByListing * listingPerTarget {
		f.Put(t, fmt.Sprintf("big/other%04d.txt", i), []byte("x"), old)
	}
	add("big/a.txt", "big/a.txt")
	for i := range verifyByListing - 1 {
		add(fmt.Sprintf("big/gone%d.txt", i), "")
	}
	// A folder that is gone with its files.
	for i := range verifyByListing {
		add(fmt.Sprintf("vanished/f%d.txt", i), "")
	}
	results := make([]connectors.Result, len(targets))
	removed := make([]bool, len(targets))
	for i, tg := range targets {
		results[i].Ref = tg.Ref
		removed[i] = true
	}
	c.verify(t.Context(), targets, results, removed)
	for _, r := range results {
		want := connectors.OutcomeDeleted
		if present[r.Ref] {
			want = connectors.OutcomeFailed
		}
		if r.Outcome != want {
			t.Errorf("%s: %v (%v), want %v", r.Ref, r.Outcome, r.Err, want)
		}
		if want == connectors.OutcomeFailed && (r.Err == nil || !strings.Contains(r.Err.Error(), "still present")) {
			t.Errorf("%s: error %v, want one saying the file is still present", r.Ref, r.Err)
		}
	}
}
