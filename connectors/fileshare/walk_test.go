package fileshare

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// A folder larger than a lookup window, its lookups shared with the
// helper goroutine, with a link, a folder and files around it: the
// listing is in name order, skips the link, and each item is what Stat
// says about it (the version DeleteBatch compares with).
func TestListLargeFolder(t *testing.T) {
	c, f, _ := openTest(t)
	var want []string
	for i := range 2*statWindow + 37 {
		ref := fmt.Sprintf("big/f%05d.txt", i)
		f.Put(t, ref, []byte(ref), when.Add(time.Duration(i)*time.Second))
		want = append(want, ref)
		if i == 700 {
			r := fmt.Sprintf("big/f%05d.txt.d/in.txt", i)
			f.Put(t, r, []byte("x"), when)
			want = append(want, r)
		}
	}
	if err := os.Symlink("f00000.txt", filepath.Join(f.Dir, "big", "f00001.link")); err != nil {
		t.Fatal(err)
	}
	items, err := listAll(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := refsOf(items); !slices.Equal(got, want) {
		t.Fatalf("listed %d refs, want %d; first %q", len(got), len(want), got[:min(3, len(got))])
	}
	for _, it := range items {
		st, err := c.Stat(t.Context(), it.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if st.Version != it.Version || !st.Modified.Equal(it.Modified) || st.Size != it.Size || st.Container != it.Container || it.Kind != connectors.KindFile {
			t.Fatalf("listed %+v, Stat %+v", it, st)
		}
	}
}

// An error from fn stops the walk and is returned as it is, however far
// the walking goroutine has gone ahead.
func TestListStopsOnError(t *testing.T) {
	c, f, _ := openTest(t)
	for i := range 3 * listBatch {
		f.Put(t, fmt.Sprintf("d/%04d", i), nil, when)
	}
	stop := errors.New("enough")
	n := 0
	err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error {
		if n++; n == listBatch+1 {
			return stop
		}
		return nil
	})
	if err != stop || n != listBatch+1 {
		t.Fatalf("List = %v after %d items", err, n)
	}
}
