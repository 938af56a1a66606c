package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// countingReader yields 0, 1, 2, … so generated keys are predictable.
type countingReader struct{ n byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

func TestRefKnownAnswer(t *testing.T) {
	// Computed independently (Python hmac) for the key 32×0x07. References
	// already in ledgers depend on this never changing.
	k := testRefKey(t)
	if k.ID() != "4bb06f8e" {
		t.Fatalf("ID = %q", k.ID())
	}
	got := k.Ref("item:fileshare:skoledrev", "Elever/Anna Hansen/karakterer.pdf")
	if want := "h1:4bb06f8e:cuFrLPxekqrGvpXuFiHrmsO3ooUvrd6SHZM-Dtfh8Fs"; got != want {
		t.Fatalf("Ref = %q, want %q", got, want)
	}
}

func TestRefKey(t *testing.T) {
	secret := bytes.Repeat([]byte{1}, 32)
	k, err := NewRefKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(secret)
	if k.ID() != hex.EncodeToString(sum[:])[:8] {
		t.Fatalf("ID %q is not the SHA-256 prefix", k.ID())
	}
	secret[0] = 2 // NewRefKey must have copied it
	k2, _ := NewRefKey(bytes.Repeat([]byte{1}, 32))
	a := k.Ref("item:fileshare:s", "x/y.pdf")
	if a != k.Ref("item:fileshare:s", "x/y.pdf") || a != k2.Ref("item:fileshare:s", "x/y.pdf") {
		t.Fatal("Ref is not deterministic")
	}
	if !strings.HasPrefix(a, "h1:"+k.ID()+":") || strings.Contains(a, "y.pdf") {
		t.Fatalf("ref %q", a)
	}
	other, _ := NewRefKey(bytes.Repeat([]byte{3}, 32))
	distinct := []string{
		a,
		k.Ref("item:fileshare:t", "x/y.pdf"), // other domain
		k.Ref("container:fileshare:s", "x/y.pdf"), // other kind of domain
		k.Ref("item:fileshare:s", "x/y.pdf "),     // other value
		k.Ref("item:fileshare:sx", "/y.pdf"),      // same concatenation without the separator
		k.Ref("", "item:fileshare:s\x00x/y.pdf"),  // separator moved into the value
		other.Ref("item:fileshare:s", "x/y.pdf"),  // other key
	}
	seen := map[string]int{}
	for i, r := range distinct {
		if j, ok := seen[r[len("h1:xxxxxxxx:"):]]; ok {
			t.Errorf("refs %d and %d share a MAC: %q", j, i, r)
		}
		seen[r[len("h1:xxxxxxxx:"):]] = i
	}
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewRefKey(make([]byte, n)); err == nil {
			t.Errorf("NewRefKey accepted %d bytes", n)
		}
	}
}

func TestParseRef(t *testing.T) {
	k := testRefKey(t)
	r := k.Ref("subject", "anna")
	id, mac, err := ParseRef(r)
	if err != nil || id != k.ID() || len(mac) != 32 {
		t.Fatalf("ParseRef(%q) = %q, %d bytes, %v", r, id, len(mac), err)
	}
	b64 := r[len("h1:4bb06f8e:"):]
	last := b64[len(b64)-1]
	// A different last character that decodes to the same bytes when the
	// unused low bits are ignored.
	sloppy := b64[:len(b64)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", last)^1])
	for _, bad := range []string{
		"", "h1:", "h1:4bb06f8e", "h1:4bb06f8e:", "h2:4bb06f8e:" + b64, "H1:4bb06f8e:" + b64,
		"h1:4BB06F8E:" + b64, "h1:4bb06f8:" + b64, "h1:4bb06f8e0:" + b64, "h1::" + b64, "h1:4bb06f8g:" + b64,
		r + "=", r + "A", r[:len(r)-1], "h1:4bb06f8e:" + strings.ReplaceAll(b64, "-", "+"), r + ":x",
		"h1:4bb06f8e:" + sloppy, " " + r, r + "\n", "h1:4bb06f8e:" + b64[:20] + "\n" + b64[20:],
	} {
		if bad == r {
			continue
		}
		if _, _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef accepted %q", bad)
		}
		if isRef(bad) {
			t.Errorf("isRef accepted %q", bad)
		}
	}
	if !isRef(r) {
		t.Errorf("isRef refused %q", r)
	}
}

// FuzzParseRef checks that the allocation-free check Marshal uses agrees
// with ParseRef, and that accepted references are in Ref's exact form.
func FuzzParseRef(f *testing.F) {
	k := testRefKey(f)
	f.Add(k.Ref("subject", "anna"))
	f.Add("h1:4bb06f8e:cuFrLPxekqrGvpXuFiHrmsO3ooUvrd6SHZM-Dtfh8Fs")
	f.Add("h1:4bb06f8e:cuFrLPxekqrGvpXuFiHrmsO3ooUvrd6SHZM-Dtfh8Ft")
	f.Fuzz(func(t *testing.T, s string) {
		id, mac, err := ParseRef(s)
		if isRef(s) != (err == nil) {
			t.Fatalf("isRef(%q) = %v, ParseRef error %v", s, isRef(s), err)
		}
		if err != nil {
			return
		}
		if again := "h1:" + id + ":" + base64.RawURLEncoding.EncodeToString(mac); again != s {
			t.Fatalf("ParseRef(%q) re-encodes as %q", s, again)
		}
	})
}

func TestRefKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "sub", "ref.key")
	_, err := LoadRefKey(path)
	if !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("missing key: %v", err)
	}
	for _, want := range []string{path, "restore it from backup", "can no longer be matched"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing-key error %q does not say %q", err, want)
		}
	}
	if _, _, err := LoadOrCreateRefKey(path, nil, false); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("LoadOrCreateRefKey(mayCreate=false): %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key was created although mayCreate was false")
	}
	k, created, err := LoadOrCreateRefKey(path, &countingReader{}, true)
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	content, _ := os.ReadFile(path)
	if string(content) != "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n" {
		t.Fatalf("key file holds %q", content)
	}
	if runtime.GOOS != "windows" {
		for p, mode := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700, filepath.Dir(filepath.Dir(path)): 0o700} {
			st, err := os.Stat(p)
			if err != nil || st.Mode().Perm() != mode {
				t.Errorf("%s: mode %v, want %v (%v)", p, st.Mode().Perm(), mode, err)
			}
		}
	}
	k2, created, err := LoadOrCreateRefKey(path, &countingReader{n: 9}, true)
	if err != nil || created || k2.ID() != k.ID() || k2.Ref("d", "v") != k.Ref("d", "v") {
		t.Fatalf("reload: %v, created %v", err, created)
	}
	if _, err := CreateRefKey(path, nil); err == nil {
		t.Fatal("CreateRefKey replaced an existing key")
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, content) {
		t.Fatal("CreateRefKey changed an existing key file")
	}
	if runtime.GOOS != "windows" {
		for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
			os.Chmod(path, mode)
			if _, err := LoadRefKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("mode %v accepted: %v", mode, err)
			}
		}
		os.Chmod(path, 0o400)
		if _, err := LoadRefKey(path); err != nil {
			t.Errorf("mode 0400: %v", err)
		}
	}
}

func TestLoadRefKeyFormat(t *testing.T) {
	const b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	dir := t.TempDir()
	for i, tt := range []struct {
		content string
		ok      bool
	}{
		{b64 + "\n", true},
		{b64, true},
		{b64 + "\n\n", false},
		{b64 + "\r\n", false},
		{" " + b64, false},
		{b64[:22] + "\n" + b64[22:], false},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", false}, // 31 bytes
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==", false},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", false},  // unpadded
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", false}, // non-canonical
		{"", false},
		{"not a key\n", false},
	} {
		path := filepath.Join(dir, strings.Repeat("k", i+1))
		if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadRefKey(path)
		if (err == nil) != tt.ok {
			t.Errorf("%q: err %v, want ok=%v", tt.content, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), b64[:20]) {
			t.Errorf("error reveals the key: %v", err)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestCreateRefKeyFailureLeavesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ref.key")
	if _, err := CreateRefKey(path, failingReader{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v, want the reader's error", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key file was left behind")
	}
}
