package cctv

import (
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// A file name in Latin-1 (a byte that is not UTF-8), as an old recorder
// writes it: the recording is listed under the name's bytes, dated by the
// time in its name, and can be deleted by that ref.
func TestNameInAnOddEncoding(t *testing.T) {
	c, fs := openTest(t, 0)
	defer c.Close()
	name := "Kamera-1/g\xe5rd_20261103_141500.mp4"
	fs[0].Put(t, name, []byte("v"), now)
	var got []connectors.Item
	err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		got = append(got, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Ref != name || !got[0].Recorded.Equal(time.Date(2026, 11, 3, 13, 15, 0, 0, time.UTC)) || got[0].RecordedFrom != fromName {
		t.Fatalf("listed %+v", got)
	}
	// The ref works for deletion as it was listed.
	rs, err := c.DeleteBatch(t.Context(), []connectors.Target{{Ref: got[0].Ref, Version: got[0].Version}})
	if err != nil || rs[0].Outcome != connectors.OutcomeDeleted {
		t.Fatalf("delete: %+v, %v", rs, err)
	}
}
