//go:build linux

package chaos

import (
	"fmt"
	"slices"
	"testing"
)

// TestInFlight checks the model of what may still be deleted after a
// decision lands: the slice in flight of each chunk with files gone (or
// its next slice when a slice just ended), and the first slice of the
// chunks that may start next, parallelChunks at a time.
func TestInFlight(t *testing.T) {
	if parallelChunks != 2 {
		t.Fatalf("the cases below assume two chunks at once; the file share runs %d", parallelChunks)
	}
	// 3,000 due files in folders of 100: chunks end at the first folder
	// end once they hold 1,024 (1,100 files), so [0,1099] [1100,2199]
	// [2200,2999], each cut into slices of 256.
	var fs []*file
	for i := range 3000 {
		fs = append(fs, &file{src: "a", rel: fmt.Sprintf("d%03d/f%04d", i/folderSize, i), due: true, idx: i})
	}
	w := &world{slices: map[string][]span{"a": slicesOf(fs)}}
	if got := w.slices["a"][4]; got != (span{0, 1024, 1099}) {
		t.Fatalf("chunk 0's last slice is %v, want {0 1024 1099}", got)
	}
	upTo := func(ranges ...[2]int) func(int) bool {
		return func(i int) bool {
			return slices.ContainsFunc(ranges, func(r [2]int) bool { return r[0] <= i && i <= r[1] })
		}
	}
	for _, c := range []struct {
		name string
		gone func(int) bool
		want []span
	}{
		{"nothing gone: the first slices of the first two chunks", upTo(), []span{{0, 0, 255}, {1, 1100, 1355}}},
		{"mid-slice in chunk 0: its slice, and the next two chunks' first", upTo([2]int{0, 300}), []span{{0, 256, 511}, {1, 1100, 1355}, {2, 2200, 2455}}},
		{"a slice of chunk 0 just ended, chunk 1 mid-slice", upTo([2]int{0, 511}, [2]int{1100, 1200}), []span{{0, 256, 511}, {0, 512, 767}, {1, 1100, 1355}, {2, 2200, 2455}}},
		{"chunk 0 done: never chunk 1's second slice", upTo([2]int{0, 1099}), []span{{0, 1024, 1099}, {1, 1100, 1355}, {2, 2200, 2455}}},
		{"chunks 0 and 1 done, chunk 2 mid-slice", upTo([2]int{0, 2199}, [2]int{2200, 2300}), []span{{0, 1024, 1099}, {1, 2124, 2199}, {2, 2200, 2455}}},
	} {
		if got := w.inFlight("a", c.gone); !slices.Equal(got, c.want) {
			t.Errorf("%s: in flight %v, want %v", c.name, got, c.want)
		}
	}
}
