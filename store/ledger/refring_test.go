package ledger

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// createRefKeyT creates a reference key at path from a fixed seed byte.
func createRefKeyT(t *testing.T, path string, seed byte) *RefKey {
	t.Helper()
	k, err := CreateRefKey(path, bytes.NewReader(bytes.Repeat([]byte{seed}, refKeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rotateRefKeyT does with the files what a reference key rotation does:
// the current key becomes <path>.<key id> and a new key takes its place.
func rotateRefKeyT(t *testing.T, path string, old *RefKey, seed byte) *RefKey {
	t.Helper()
	if err := os.Rename(path, path+"."+old.ID()); err != nil {
		t.Fatal(err)
	}
	return createRefKeyT(t, path, seed)
}

func TestRefKeyRing(t *testing.T) {
	// '[' and '*' would be patterns to a glob: the path is taken as is.
	dir := filepath.Join(t.TempDir(), "keys [prod]*")
	path := filepath.Join(dir, "references.key")
	k1 := createRefKeyT(t, path, 1)
	const domain, item = "item:fileshare:skoledrev", "Elever/Anna/karakterer.pdf"

	ring, err := LoadRefKeyRing(path)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Current.ID() != k1.ID() || len(ring.Retired) != 0 {
		t.Fatalf("ring without retired keys: current %s, %d retired", ring.Current.ID(), len(ring.Retired))
	}
	if got := ring.Refs(domain, item); !slices.Equal(got, []string{k1.Ref(domain, item)}) {
		t.Fatalf("refs %q", got)
	}

	k2 := rotateRefKeyT(t, path, k1, 2)
	k3 := rotateRefKeyT(t, path, k2, 3)
	// Files beside the key that are not retired keys.
	for _, name := range []string{path + ".next", path + ".pub", path + ".bak", path + "." + strings.ToUpper(k1.ID()), path + "." + k1.ID() + ".old"} {
		if err := os.WriteFile(name, []byte("not a key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A key of another path in the same directory.
	createRefKeyT(t, filepath.Join(dir, "other.key"), 4)

	ring, err = LoadRefKeyRing(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{k3.Ref(domain, item)}
	retired := []*RefKey{k1, k2}
	slices.SortFunc(retired, func(a, b *RefKey) int { return strings.Compare(a.ID(), b.ID()) })
	for _, k := range retired {
		want = append(want, k.Ref(domain, item))
	}
	if got := ring.Refs(domain, item); !slices.Equal(got, want) {
		t.Fatalf("refs %q, want %q", got, want)
	}

	// A retired key under the name of another key id.
	wrong := path + ".0badc0de"
	if err := os.Rename(path+"."+k1.ID(), wrong); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRefKeyRing(path); err == nil || !strings.Contains(err.Error(), "holds key "+k1.ID()+", not 0badc0de") {
		t.Fatalf("misnamed retired key: %v", err)
	}
	// A retired key others may read.
	if err := os.Rename(wrong, path+"."+k1.ID()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path+"."+k1.ID(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRefKeyRing(path); err == nil || !strings.Contains(err.Error(), "retired key "+path+"."+k1.ID()) {
		t.Fatalf("retired key readable by others: %v", err)
	}
	// No current key.
	if _, err := LoadRefKeyRing(filepath.Join(dir, "missing.key")); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("missing current key: %v", err)
	}
}
