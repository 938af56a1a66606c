package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/store/ledger"
)

const cctvPolicy = `version: 1
id: cctv
rules:
  - id: C1
    title: CCTV recordings
    type: delete_after
    kinds: [recording]
    from: item.recorded
    keep: P30D
    approval: none
`

// TestEvidenceHoldKeepsFootageUntilHandedOver: a police hold on one camera
// and an hour keeps those recordings past 30 days; released (the footage
// handed over), they are due at once, also those not 30 days old; the
// ledger shows the hold, its release and the deletions.
func TestEvidenceHoldKeepsFootageUntilHandedOver(t *testing.T) {
	dir := t.TempDir()
	name := strings.ReplaceAll(t.Name(), "/", "_")
	src := memory.New(name)
	memory.Register(name, src)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(cctvPolicy), 0o644)
	cfgFile := filepath.Join(dir, "retentiond.yaml")
	os.WriteFile(cfgFile, []byte(strings.Replace(strings.Replace(testConfig, "name: src", "name: nvr", 1), "%s", name, 1)), 0o644)
	cfg, err := configs.Load(cfgFile, connectors.NewRegistry(memory.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, src: src, cfg: cfg}
	e.reopen()
	ctx := context.Background()

	rec := func(ref string, at time.Time) {
		src.PutItem(connectors.Item{Ref: ref, Kind: connectors.KindRecording, Size: 1, Modified: now, Recorded: at, RecordedFrom: "from the file name"})
	}
	incident := now.AddDate(0, 0, -40) // 40 days ago, 14:00-15:00
	incident = time.Date(incident.Year(), incident.Month(), incident.Day(), 14, 0, 0, 0, time.UTC)
	rec("Kamera-1/old-incident.mp4", incident.Add(30*time.Minute))           // in the window, 40 days old
	rec("Kamera-1/old-other.mp4", incident.Add(-2*time.Hour))                // same camera, outside the window
	rec("Kamera-2/old-incident.mp4", incident.Add(30*time.Minute))           // other camera
	rec("Kamera-1/recent.mp4", now.AddDate(0, 0, -3))                        // in the second window, 3 days old
	rec("Kamera-1/recent-later.mp4", now.AddDate(0, 0, -3).Add(3*time.Hour)) // after it

	plan := func() map[string]string {
		t.Helper()
		res, err := e.p.Plan(ctx, PlanOptions{Source: "nvr", Planner: "it", Samples: 10})
		if err != nil {
			t.Fatal(err)
		}
		return (&subjEnv{e}).verdicts(res)
	}
	if _, err := e.p.AddHold(ctx, "it", HoldSpec{Reason: "police case 2026-88", Owner: "leader", Source: "nvr", Path: "Kamera-1/**",
		RecordedFrom: incident.Format(time.RFC3339), RecordedUntil: incident.Add(time.Hour).Format(time.RFC3339), Evidence: true}); err != nil {
		t.Fatal(err)
	}
	second := now.AddDate(0, 0, -3).Add(-time.Minute)
	if _, err := e.p.AddHold(ctx, "it", HoldSpec{Reason: "police case 2026-91", Owner: "leader", Source: "nvr", Path: "Kamera-1/**",
		RecordedFrom: second.Format(time.RFC3339), RecordedUntil: second.Add(time.Hour).Format(time.RFC3339), Evidence: true}); err != nil {
		t.Fatal(err)
	}
	got := plan()
	want := map[string]string{"Kamera-1/old-incident.mp4": "held C1", "Kamera-1/old-other.mp4": "due C1", "Kamera-2/old-incident.mp4": "due C1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("with the holds:\n%v\nwant\n%v", got, want)
	}
	if _, err := e.p.Execute(ctx, 0, "it"); err != nil {
		t.Fatal(err)
	}
	if !src.Exists("Kamera-1/old-incident.mp4") || src.Exists("Kamera-1/old-other.mp4") {
		t.Fatal("the hold did not keep exactly the footage of the incident")
	}

	// Handed over: both incidents' footage goes now, the 3-day-old too.
	for _, id := range []string{"H-1", "H-2"} {
		if err := e.p.ReleaseHold(ctx, "it", id); err != nil {
			t.Fatal(err)
		}
	}
	got = plan()
	want = map[string]string{"Kamera-1/old-incident.mp4": "due C1", "Kamera-1/recent.mp4": "due C1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the release:\n%v\nwant\n%v", got, want)
	}
	if _, err := e.p.Execute(ctx, 0, "it"); err != nil {
		t.Fatal(err)
	}
	if src.Exists("Kamera-1/recent.mp4") || !src.Exists("Kamera-1/recent-later.mp4") {
		t.Error("the handed-over footage was not deleted at once, or more went")
	}
	var added, released, deleted int
	for _, en := range e.entries() {
		switch {
		case en.Type == ledger.TypeHoldAdded:
			added++
		case en.Type == ledger.TypeHoldReleased && strings.Contains(en.Reason, "handed to the police"):
			released++
		case en.Type == ledger.TypeDeletion && en.Outcome == "deleted":
			deleted++
		}
	}
	if added != 2 || released != 2 || deleted != 4 {
		t.Errorf("ledger: %d holds added, %d released as evidence, %d deletions", added, released, deleted)
	}
}
