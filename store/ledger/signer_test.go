package ledger

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestSignerCreateLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "ledger.key")
	const name = "retentiond.example.dk/school-ledger"
	s, err := CreateSigner(path, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != name || s.NoteSigner().Name() != name || s.Verifier().Name() != name {
		t.Fatalf("names %q %q %q", s.Name(), s.NoteSigner().Name(), s.Verifier().Name())
	}
	if !strings.HasPrefix(s.VerifierKey(), name+"+") {
		t.Fatalf("verifier key %q", s.VerifierKey())
	}
	priv, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(priv), "PRIVATE+KEY+"+name+"+") || !strings.HasSuffix(string(priv), "\n") {
		t.Fatalf("private key file does not hold a note private key")
	}
	pub, _ := os.ReadFile(path + ".pub")
	if string(pub) != s.VerifierKey()+"\n" {
		t.Fatalf(".pub holds %q, want %q", pub, s.VerifierKey())
	}
	if runtime.GOOS != "windows" {
		for p, mode := range map[string]os.FileMode{path: 0o600, path + ".pub": 0o644, filepath.Dir(path): 0o700} {
			if st, err := os.Stat(p); err != nil || st.Mode().Perm() != mode {
				t.Errorf("%s: mode %v, want %v (%v)", p, st.Mode().Perm(), mode, err)
			}
		}
	}
	loaded, err := LoadSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.VerifierKey() != s.VerifierKey() || loaded.Name() != name {
		t.Fatalf("loaded key differs: %q", loaded.VerifierKey())
	}
	// The loaded key's signatures verify with the published key.
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, loaded.NoteSigner())
	if err != nil {
		t.Fatal(err)
	}
	vs, err := NewVerifiers(string(pub))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, vs); err != nil {
		t.Fatalf("signature by the loaded key does not verify with .pub: %v", err)
	}
	if _, err := note.Open(msg, note.VerifierList(s.Verifier())); err != nil {
		t.Fatalf("Verifier(): %v", err)
	}

	if _, err := CreateSigner(path, name, nil); err == nil {
		t.Fatal("CreateSigner replaced an existing key")
	}
	if again, _ := os.ReadFile(path); string(again) != string(priv) {
		t.Fatal("CreateSigner changed an existing key file")
	}
	got, created, err := LoadOrCreateSigner(path, name, nil, true)
	if err != nil || created || got.VerifierKey() != s.VerifierKey() {
		t.Fatalf("LoadOrCreateSigner on an existing key: %v, created %v", err, created)
	}
}

func TestSignerMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.key")
	_, err := LoadSigner(path)
	if !errors.Is(err, ErrKeyMissing) || !strings.Contains(err.Error(), "restore it from backup") || !strings.Contains(err.Error(), path) {
		t.Fatalf("missing key: %v", err)
	}
	if _, _, err := LoadOrCreateSigner(path, "o", nil, false); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("LoadOrCreateSigner(mayCreate=false): %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("created although mayCreate was false")
	}
	s, created, err := LoadOrCreateSigner(path, "o", rand.Reader, true)
	if err != nil || !created || s.Name() != "o" {
		t.Fatalf("LoadOrCreateSigner(mayCreate=true): %v, created %v", err, created)
	}

	// The signing key is lost but its published verifier key is still
	// there: that is a restore, not a first start.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, _, err = LoadOrCreateSigner(path, "o", rand.Reader, true)
	if err == nil || !strings.Contains(err.Error(), "restore the signing key from backup") {
		t.Fatalf("a new key replaced a lost one: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a signing key was created next to an old .pub")
	}
}

func TestSignerPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Log("Windows has no Unix permission bits; LoadSigner does not check them there")
		return
	}
	path := filepath.Join(t.TempDir(), "ledger.key")
	if _, err := CreateSigner(path, "o", nil); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o620, 0o602, 0o601, 0o610} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadSigner(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %v: %v", mode, err)
		}
	}
	os.Chmod(path, 0o400)
	if _, err := LoadSigner(path); err != nil {
		t.Errorf("mode 0400: %v", err)
	}
}

func TestSignerBadFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.key")
	s, err := CreateSigner(path, "o", nil)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := os.ReadFile(path)
	other := newSignerT(t, "o")

	// A .pub of another key.
	os.WriteFile(path+".pub", []byte(other.VerifierKey()+"\n"), 0o644)
	if _, err := LoadSigner(path); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Fatalf("mismatched .pub accepted: %v", err)
	}
	// No .pub at all is fine: the verifier key is derived.
	os.Remove(path + ".pub")
	if got, err := LoadSigner(path); err != nil || got.VerifierKey() != s.VerifierKey() {
		t.Fatalf("without .pub: %v", err)
	}

	text := strings.TrimSpace(string(priv))
	for name, content := range map[string]string{
		"empty":          "",
		"verifier key":   s.VerifierKey() + "\n",
		"wrong hash":     strings.Replace(text, "+o+", "+p+", 1) + "\n",
		"truncated":      text[:len(text)-4] + "\n",
		"two newlines":   text + "\n\n",
		"leading space":  " " + text + "\n",
		"not a note key": "-----BEGIN PRIVATE KEY-----\n",
	} {
		p := filepath.Join(dir, "bad-"+strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(p, []byte(content), 0o600)
		_, err := LoadSigner(p)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if b64 := strings.SplitN(text, "+", 5)[4]; strings.Contains(err.Error(), b64[:16]) {
			t.Errorf("%s: error reveals the private key: %v", name, err)
		}
	}

	// Invalid key names fail before anything is written.
	for _, name := range []string{"", "has space", "a+b", "tab\tname"} {
		p := filepath.Join(dir, "named.key")
		if _, err := CreateSigner(p, name, nil); err == nil {
			t.Errorf("name %q accepted", name)
		}
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("name %q: a key file was left behind", name)
		}
	}
}

func TestNewVerifiers(t *testing.T) {
	a := newSignerT(t, "a")
	b := newSignerT(t, "b")
	if _, err := NewVerifiers(); err == nil {
		t.Error("no keys accepted")
	}
	if _, err := NewVerifiers("not a key"); err == nil {
		t.Error("bad key accepted")
	}
	if _, err := NewVerifiers(a.VerifierKey(), "x+00000000+AQ=="); err == nil {
		t.Error("bad second key accepted")
	}
	vs, err := NewVerifiers(a.VerifierKey()+"\n", " "+a.VerifierKey(), b.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Signer{a, b} {
		msg, _ := note.Sign(&note.Note{Text: "x\n"}, s.NoteSigner())
		if _, err := note.Open(msg, vs); err != nil {
			t.Errorf("%s: %v", s.Name(), err)
		}
	}
}
