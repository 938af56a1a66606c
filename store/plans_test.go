package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A plan writer told to chunk at containers (a source whose deletions are
// limited per mailbox) ends a chunk at every container boundary once it
// holds minItems items; chunks still hold at most chunkSize items, or the
// largest multiple of the call size that fits. Without it,
// TestPlanChunksFollowContainers holds.
func TestPlanChunksAtContainers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		min        int
		call       int   // callItems
		containers []int // items per container, in listing order
		want       []int // items per chunk
	}{
		{"every container its own chunk", 1, 0, []int{300, 300, 300}, []int{300, 300, 300}},
		{"mailboxes of 500", 1, 0, []int{500, 500, 500, 500, 500}, []int{500, 500, 500, 500, 500}},
		{"one item per container", 1, 0, []int{1, 1, 1}, []int{1, 1, 1}},
		{"a large container is split at chunkSize", 1, 0, []int{10, 2*chunkSize + 5, 7}, []int{10, chunkSize, chunkSize, 5, 7}},
		{"small containers share a chunk up to min", 20, 0, []int{5, 5, 5, 5, 500, 3}, []int{20, 500, 3}},
		{"a chunk ends at the first boundary past min", 20, 0, []int{5, 5, 30, 5}, []int{40, 5}},
		{"below 1 is 1", 0, 0, []int{2, 2}, []int{2, 2}},
		{"above half is half", 10 * chunkSize, 0, []int{chunkSize / 2, 1}, []int{chunkSize / 2, 1}},
		{"a large container is split at whole calls", 1, 1000, []int{10, 4500, 7}, []int{10, 2000, 2000, 500, 7}},
		{"calls that do not divide chunkSize", 1, 600, []int{2000}, []int{1800, 200}},
		{"a call larger than a chunk", 1, 5000, []int{chunkSize + 1}, []int{chunkSize, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			w, err := s.NewPlan(ctx, Plan{Source: "src", SourceKind: "m365", CreatedAt: Time{time.Now()}, Today: "2026-11-22", Planner: "it"})
			if err != nil {
				t.Fatal(err)
			}
			w.ChunkAtContainers(tc.min, tc.call)
			for c, n := range tc.containers {
				for i := range n {
					it := PlanItem{Ref: fmt.Sprintf("c%d/%05d", c, i), Container: fmt.Sprintf("c%d", c), Version: "v", Verdict: "due", Rule: "R", Due: "2026-01-01"}
					if err := w.Add(ctx, it); err != nil {
						t.Fatal(err)
					}
					// Items of another rule interleaved do not cut R's chunks.
					if i%7 == 0 {
						if err := w.Add(ctx, PlanItem{Ref: it.Ref + "k", Container: it.Container, Version: "v", Verdict: "keep", Rule: "K"}); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			p, _, err := w.Finish(ctx, Plan{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			err = s.PlanItems(ctx, p.ID, "due", "R", func(c Chunk) error {
				got = append(got, len(c.Items))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("chunks of %v items, want %v", got, tc.want)
			}
		})
	}
}
