//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package fileshare

import (
	"errors"
	"slices"
	"syscall"
	"testing"

	"github.com/retentiond/retentiond/connectors"
)

// Names that cannot be refs (a backslash is legal in Unix names) are
// reported as skipped, not silently dropped; special files are not items.
func TestUnrepresentableNamesAndSpecialFiles(t *testing.T) {
	c, f, logs := openTest(t)
	f.Put(t, `back\slash.txt`, []byte("x"), when)
	f.Put(t, "ok.txt", []byte("x"), when)
	if err := syscall.Mkfifo(f.Path("pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	items, err := listAll(t, c, "")
	var inc *connectors.IncompleteError
	if !errors.As(err, &inc) || len(inc.Skipped) != 1 || code(inc.Skipped[0]) != connectors.CodeInvalid {
		t.Fatalf("List = %v", err)
	}
	if got := refsOf(items); !slices.Equal(got, []string{"ok.txt"}) {
		t.Fatalf("listed %q", got)
	}
	if logs.FilterMessage("special file skipped").Len() != 1 {
		t.Errorf("fifo not logged: %v", logs.All())
	}
	if _, err := c.Stat(t.Context(), "pipe"); code(err) != connectors.CodeNotFound {
		t.Errorf("Stat of a fifo: %v", err)
	}
}
