// Command smbphases measures the SMB connector alone (connectors/smb), without
// the pipeline, SQLite or the ledger, for bench/smb_phases.sh. It opens an
// smb:// root and either lists it or deletes every file in it.
//
//	smbphases -root smb://user@127.0.0.1:PORT/share/tree -password-file F -op list
//	smbphases -root ... -op delete [-slice 256] [-parallel 0]
//
// list prints the items listed and the seconds the listing took. delete
// lists the root first (not timed), then calls DeleteBatch on slices of
// -slice targets in listing order, as the executor does (as many calls at
// once as the connector's DeleteConcurrency allows, or -parallel), and
// prints the outcomes and the seconds the deletions took. Both print one
// line: name=value pairs.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/smb"
)

func main() {
	root := flag.String("root", "", "smb:// root")
	pwFile := flag.String("password-file", "", "file holding the password")
	op := flag.String("op", "list", "list or delete")
	slice := flag.Int("slice", 256, "targets per DeleteBatch call")
	parallel := flag.Int("parallel", 0, "DeleteBatch calls at once (0: the connector's DeleteConcurrency, or 1)")
	flag.Parse()
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		log.Fatalf("smbphases: read the password: %v", err)
	}
	ctx := context.Background()
	c, err := smb.Open(ctx, *root, strings.TrimSpace(string(pw)), nil)
	if err != nil {
		log.Fatalf("smbphases: open: %v", err)
	}
	defer c.Close()
	var targets []connectors.Target
	start := time.Now() // a benchmark's own clock, not logic
	err = c.List(ctx, connectors.ListOptions{}, func(it connectors.Item) error {
		targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
		return nil
	})
	if err != nil {
		log.Fatalf("smbphases: list: %v", err)
	}
	listed := time.Since(start)
	if *op == "list" {
		fmt.Printf("listed=%d list_s=%.3f\n", len(targets), listed.Seconds())
		return
	}
	if *op != "delete" {
		log.Fatalf("smbphases: -op %q: want list or delete", *op)
	}
	par := *parallel
	if par <= 0 {
		par = 1
		if cd, ok := any(c).(connectors.ConcurrentDeleter); ok {
			par = cd.DeleteConcurrency()
		}
	}
	var (
		mu     sync.Mutex
		counts = map[connectors.Outcome]int{}
		next   int
		wg     sync.WaitGroup
		first  error
	)
	start = time.Now()
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				from := next
				next += *slice
				mu.Unlock()
				if from >= len(targets) {
					return
				}
				rs, err := c.DeleteBatch(ctx, targets[from:min(from+*slice, len(targets))])
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				for _, r := range rs {
					counts[r.Outcome]++
					if r.Err != nil && first == nil {
						first = r.Err
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if first != nil {
		log.Printf("smbphases: first error: %v", first)
	}
	fmt.Printf("listed=%d deleted=%d failed=%d changed=%d absent=%d parallel=%d delete_s=%.3f\n", len(targets),
		counts[connectors.OutcomeDeleted], counts[connectors.OutcomeFailed], counts[connectors.OutcomeChanged], counts[connectors.OutcomeAbsent], par, took.Seconds())
}
