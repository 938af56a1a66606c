package ledger

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// ErrKeyMissing is wrapped by the errors for a key file that does not exist.
var ErrKeyMissing = errors.New("key file missing")

// RefKey makes the pseudonymous references that stand in for items,
// folders and subjects in the ledger: "h1:<key id>:<HMAC-SHA256>". Whoever
// holds the key can answer "was this item deleted?"; the ledger alone
// reveals nothing.
type RefKey struct {
	id  string
	key []byte
}

// NewRefKey returns a reference key from a 32-byte secret.
func NewRefKey(secret []byte) (*RefKey, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("reference key must be 32 bytes, not %d", len(secret))
	}
	sum := sha256.Sum256(secret)
	return &RefKey{id: hex.EncodeToString(sum[:4]), key: append([]byte(nil), secret...)}, nil
}

// ID identifies the key in the references it makes.
func (k *RefKey) ID() string { return k.id }

// Ref returns the reference of value in domain (e.g. domain
// "item:fileshare:admin-share", value the item's path).
func (k *RefKey) Ref(domain, value string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return "h1:" + k.id + ":" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ParseRef splits a reference into its key id and MAC.
func ParseRef(s string) (keyID string, mac []byte, err error) {
	rest, ok := strings.CutPrefix(s, "h1:")
	if !ok {
		return "", nil, fmt.Errorf("reference %q: want h1:<key id>:<mac>", s)
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok || id == "" {
		return "", nil, fmt.Errorf("reference %q: want h1:<key id>:<mac>", s)
	}
	mac, err = base64.RawURLEncoding.DecodeString(b64)
	if err != nil || len(mac) != sha256.Size {
		return "", nil, fmt.Errorf("reference %q: bad MAC", s)
	}
	return id, mac, nil
}

// LoadRefKey reads a reference key file (the key in standard base64).
func LoadRefKey(path string) (*RefKey, error) {
	b, err := readSecret(path, "reference key", "without it, the references already in the ledger can no longer be matched to items")
	if err != nil {
		return nil, err
	}
	secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("reference key %s is not base64: %w", path, err)
	}
	return NewRefKey(secret)
}

// CreateRefKey creates a new reference key file; it fails if one exists.
func CreateRefKey(path string, random io.Reader) (*RefKey, error) {
	if random == nil {
		random = rand.Reader
	}
	secret := make([]byte, 32)
	if _, err := io.ReadFull(random, secret); err != nil {
		return nil, fmt.Errorf("generate reference key: %w", err)
	}
	if err := writeSecret(path, []byte(base64.StdEncoding.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("create reference key: %w", err)
	}
	return NewRefKey(secret)
}

// LoadOrCreateRefKey loads the key at path, creating it if it is missing
// and mayCreate is set.
func LoadOrCreateRefKey(path string, random io.Reader, mayCreate bool) (*RefKey, bool, error) {
	k, err := LoadRefKey(path)
	if errors.Is(err, ErrKeyMissing) && mayCreate {
		k, err = CreateRefKey(path, random)
		return k, err == nil, err
	}
	return k, false, err
}

// Signer signs checkpoints with an Ed25519 note key.
type Signer struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// CreateSigner generates a signing key named name, writes the private key to
// path (mode 0600, failing if it exists) and the verifier key to path+".pub".
func CreateSigner(path, name string, random io.Reader) (*Signer, error) {
	if random == nil {
		random = rand.Reader
	}
	skey, vkey, err := note.GenerateKey(random, name)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	if err := writeSecret(path, []byte(skey+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("create signing key: %w", err)
	}
	if err := os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write verifier key: %w", err)
	}
	return newSigner(skey)
}

func newSigner(skey string) (*Signer, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	return &Signer{signer: s, verifier: v, vkey: vkey}, nil
}

// verifierKey derives the verifier key text from a note signing key
// ("PRIVATE+KEY+<name>+<hash>+<b64(alg||seed)>").
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", fmt.Errorf("read signing key: not a note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		return "", fmt.Errorf("read signing key: not an Ed25519 note key")
	}
	return ed25519VerifierKey(parts[2], raw[1:])
}

// LoadSigner reads the signing key at path.
func LoadSigner(path string) (*Signer, error) {
	b, err := readSecret(path, "signing key", "checkpoints cannot be signed without it; a new key must be announced to auditors (key rotation)")
	if err != nil {
		return nil, err
	}
	return newSigner(strings.TrimSpace(string(b)))
}

// LoadOrCreateSigner loads the signing key at path, creating one named name
// if it is missing and mayCreate is set.
func LoadOrCreateSigner(path, name string, random io.Reader, mayCreate bool) (*Signer, bool, error) {
	s, err := LoadSigner(path)
	if errors.Is(err, ErrKeyMissing) && mayCreate {
		s, err = CreateSigner(path, name, random)
		return s, err == nil, err
	}
	return s, false, err
}

// Name is the key's name; checkpoints it signs carry it as their origin.
func (s *Signer) Name() string { return s.signer.Name() }

// VerifierKey is the public verifier key in note format.
func (s *Signer) VerifierKey() string { return s.vkey }

// Verifier verifies the signer's signatures.
func (s *Signer) Verifier() note.Verifier { return s.verifier }

// NoteSigner is the underlying note signer.
func (s *Signer) NoteSigner() note.Signer { return s.signer }

// NewVerifiers builds a verifier list from verifier keys in note format.
func NewVerifiers(keys ...string) (note.Verifiers, error) {
	var vs []note.Verifier
	for _, k := range keys {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("verifier key %q: %w", k, err)
		}
		vs = append(vs, v)
	}
	return note.VerifierList(vs...), nil
}

func readSecret(path, what, consequence string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %s is missing (%w): restore it from backup; %s", what, path, ErrKeyMissing, consequence)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s can be read by others (mode %v): run chmod 600 %s", what, path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return b, nil
}

func writeSecret(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
