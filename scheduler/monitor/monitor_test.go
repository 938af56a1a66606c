package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/scheduler"
)

const testPolicy = `version: 1
id: test
rules:
  - id: OLD
    title: Old files
    type: delete_after
    path: "old/**"
    from: item.modified
    keep: P30D
    approval:
      - {group: leaders, count: 1}
`

const testConfig = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - name: src
    kind: memory
    options: {name: %s}
execute:
  schedule: "%s"
`

// TestMetricsDuringReload scrapes /metrics without pause while the daemon
// reloads its configuration again and again, as `systemctl reload` during
// a Prometheus scrape does. Under -race (as CI runs it) this failed while
// the reload replaced the pipeline's configuration under the scrape that
// read it.
func TestMetricsDuringReload(t *testing.T) {
	dir := t.TempDir()
	name := strings.ReplaceAll(t.Name(), "/", "_")
	src := memory.New(name)
	memory.Register(name, src)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	src.Put("old/a.txt", []byte("a"), now.Add(-40*24*time.Hour))
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(testPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "retentiond.yaml")
	load := func(schedule string) (*configs.Config, error) {
		if err := os.WriteFile(file, fmt.Appendf(nil, testConfig, name, schedule), 0o600); err != nil {
			return nil, err
		}
		return configs.Load(file, connectors.NewRegistry(memory.Kind()))
	}
	cfg, err := load("0 3 * * *")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := scheduler.New(ctx, cfg, scheduler.Deps{Clock: scheduler.FixedClock{T: now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if _, err := p.Plan(ctx, scheduler.PlanOptions{Source: "src", Planner: "it"}); err != nil {
		t.Fatal(err)
	}

	mon := New(p, zap.NewNop())
	srv := httptest.NewServer(mon.Handler())
	defer srv.Close()

	reload := make(chan struct{})
	outcomes := make(chan error)
	reloads := 0
	d := &scheduler.Daemon{P: p, Reload: reload, Reloaded: func(err error) { outcomes <- err },
		Load: func() (*configs.Config, error) {
			reloads++ // only the daemon's goroutine loads
			return load(fmt.Sprintf("%d 3 * * *", reloads%60))
		}}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()

	scraping, scrapes := make(chan struct{}), make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n := 0
		for {
			select {
			case <-scraping:
				if n == 0 {
					scrapes <- errors.New("no scrape finished during the reloads")
				} else {
					scrapes <- nil
				}
				return
			default:
			}
			body, err := get(srv.URL + "/metrics")
			if err != nil {
				scrapes <- err
				return
			}
			if !strings.Contains(body, "retentiond_store_up 1") || !strings.Contains(body, `retentiond_items{rule="OLD",source="src",verdict="due"} 1`) {
				scrapes <- fmt.Errorf("scrape %d:\n%s", n, body)
				return
			}
			n++
		}
	}()
	for range 20 {
		reload <- struct{}{}
		if err := <-outcomes; err != nil {
			t.Fatalf("reload: %v", err)
		}
	}
	close(scraping)
	wg.Wait()
	if err := <-scrapes; err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := p.CurrentConfig().ExecuteSchedule; got != "20 3 * * *" {
		t.Fatalf("the configuration in force has execute.schedule %q, want the last one loaded", got)
	}
}

func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s\n%s", url, resp.Status, b)
	}
	return string(b), nil
}
