package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BatchChunkInfos gives, per chunk of a batch in order, its number of
// items, its distinct containers in the order they first appear (with
// containers; none without) and its progress as ChunkProgress has it: the
// most a closed intent recorded, open intents not counted.
func TestBatchChunkInfos(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	batch, _ := pageBatch(t, s, pageRefs(3*chunkSize+101))
	type want struct {
		seq        int64
		items      int
		containers []string
	}
	var ws []want
	if err := s.BatchChunks(ctx, batch, func(c Chunk) error {
		w := want{seq: c.Seq, items: len(c.Items)}
		for _, it := range c.Items {
			if !slices.Contains(w.containers, it.Container) {
				w.containers = append(w.containers, it.Container)
			}
		}
		ws = append(ws, w)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ws) < 3 {
		t.Fatalf("test setup: %d chunks", len(ws))
	}
	at := time.Unix(0, 0)
	err := s.Write(ctx, func(tx *Tx) error {
		for _, step := range []struct {
			seq             int64
			from, until, to int
			close           bool
		}{
			{ws[0].seq, 0, 300, 300, true},
			{ws[0].seq, 300, 600, 600, true},
			{ws[0].seq, 600, 900, 0, false}, // open: not counted
			{ws[2].seq, 0, 50, 17, true},    // cut short
		} {
			id, err := tx.OpenIntent(batch, step.seq, step.from, step.until, at)
			if err != nil {
				return err
			}
			if step.close {
				if err := tx.CloseIntent(id, step.to, at); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, containers := range []bool{true, false} {
		infos, err := s.BatchChunkInfos(ctx, batch, containers)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != len(ws) {
			t.Fatalf("%d infos, want %d chunks", len(infos), len(ws))
		}
		for i, ci := range infos {
			done, err := s.ChunkProgress(ctx, batch, ws[i].seq)
			if err != nil {
				t.Fatal(err)
			}
			wc := ws[i].containers
			if !containers {
				wc = nil
			}
			if ci.Seq != ws[i].seq || ci.Items != ws[i].items || ci.Done != done || fmt.Sprint(ci.Containers) != fmt.Sprint(wc) {
				t.Errorf("containers %v: chunk %d: %+v, want seq %d, %d items, done %d, containers %v", containers, i, ci, ws[i].seq, ws[i].items, done, wc)
			}
		}
		if infos[0].Done != 600 || infos[1].Done != 0 || infos[2].Done != 17 {
			t.Errorf("progress %d %d %d, want 600 0 17", infos[0].Done, infos[1].Done, infos[2].Done)
		}
	}
}
