package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"

	"golang.org/x/mod/sumdb/note"
)

// Signer signs checkpoints with an Ed25519 key in golang.org/x/mod/sumdb/note
// format. Its name is the origin of the ledger whose checkpoints it signs.
type Signer struct {
	priv     ed25519.PrivateKey
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// CreateSigner generates an Ed25519 note key named name (a note key name:
// non-empty, no spaces, no '+'), using random (crypto/rand if nil). It
// writes the private key ("PRIVATE+KEY+<name>+...") to path with mode 0600,
// failing if path exists, and the public verifier key to path+".pub" with
// mode 0644, creating missing parent directories with mode 0700; both files
// are synced to disk. It also fails if path+".pub" exists: a verifier key
// without its signing key means the signing key was lost and must be
// restored from backup, not silently replaced.
func CreateSigner(path, name string, random io.Reader) (*Signer, error) {
	if random == nil {
		random = rand.Reader
	}
	pub := path + ".pub"
	if _, err := os.Lstat(pub); err == nil {
		return nil, fmt.Errorf("create signing key: verifier key %s exists but its signing key %s does not: restore the signing key from backup", pub, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("create signing key: %w", err)
	}
	skey, vkey, err := note.GenerateKey(random, name)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	s, err := newSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("generate signing key named %q: %w", name, err)
	}
	if s.vkey != vkey {
		return nil, errors.New("generate signing key: derived verifier key differs from the generated one")
	}
	if err := writeKeyFile(path, []byte(skey+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("create signing key: %w", err)
	}
	if err := writeKeyFile(pub, []byte(vkey+"\n"), 0o644); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write verifier key: %w", err)
	}
	return s, nil
}

// newSigner builds a Signer from a note private key, deriving the verifier
// key and checking that a signature by the one verifies with the other.
func newSigner(skey string) (*Signer, error) {
	if strings.ContainsFunc(skey, unicode.IsSpace) {
		return nil, errors.New("not a valid note signing key: it must be one line without spaces")
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("not a valid note signing key: %w", err)
	}
	parts := strings.SplitN(skey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("not an Ed25519 note signing key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("derive verifier key: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("derive verifier key: %w", err)
	}
	msg := []byte("retentiond signing key self-test\n")
	sig, err := s.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if v.KeyHash() != s.KeyHash() || !v.Verify(msg, sig) {
		return nil, errors.New("derived verifier key does not verify the key's signatures")
	}
	return &Signer{priv: ed25519.NewKeyFromSeed(raw[1:]), signer: s, verifier: v, vkey: vkey}, nil
}

// LoadSigner reads the note signing key at path (one line, optionally
// followed by a newline). If the file does not exist the error wraps
// ErrKeyMissing and tells the operator to restore it from backup. On
// systems other than Windows, a key file that group or others may access
// (mode&0o077 != 0) is refused with an error saying to chmod 600 it. If
// path+".pub" exists it must hold this key's verifier key, so that
// checkpoints signed now verify with the published key.
func LoadSigner(path string) (*Signer, error) {
	b, err := readKeyFile(path, "signing key",
		"checkpoints cannot be signed without it, and a replacement key would have to be announced to every auditor")
	if err != nil {
		return nil, err
	}
	s, err := newSigner(strings.TrimSuffix(string(b), "\n"))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	pub, err := os.ReadFile(path + ".pub")
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read verifier key: %w", err)
	case strings.TrimSpace(string(pub)) != s.vkey:
		return nil, fmt.Errorf("verifier key %s.pub does not belong to signing key %s: restore the matching pair from backup", path, path)
	}
	return s, nil
}

// LoadOrCreateSigner loads the signing key at path. If the file does not
// exist and mayCreate is set, it creates one named name (see CreateSigner)
// and reports created; if mayCreate is not set, the error wraps
// ErrKeyMissing. A loaded key's name may differ from name; callers compare
// Name with the ledger's origin.
func LoadOrCreateSigner(path, name string, random io.Reader, mayCreate bool) (s *Signer, created bool, err error) {
	s, err = LoadSigner(path)
	if errors.Is(err, ErrKeyMissing) && mayCreate {
		s, err = CreateSigner(path, name, random)
		if err != nil {
			return nil, false, err
		}
		return s, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return s, false, nil
}

// Name is the key's name, which is the origin of the checkpoints it signs.
func (s *Signer) Name() string { return s.signer.Name() }

// VerifierKey is the public verifier key in note format
// ("<name>+<hash>+<base64 key>"), as written to the .pub file.
func (s *Signer) VerifierKey() string { return s.vkey }

// Verifier verifies the signer's signatures.
func (s *Signer) Verifier() note.Verifier { return s.verifier }

// NoteSigner is the underlying note signer.
func (s *Signer) NoteSigner() note.Signer { return s.signer }

// NewVerifiers builds the set of trusted keys from verifier keys in note
// format; surrounding whitespace (such as the newline of a .pub file) is
// ignored and a key given twice counts once. It fails if no key is given,
// a key does not parse, or two different keys share a name and key hash.
func NewVerifiers(keys ...string) (note.Verifiers, error) {
	if len(keys) == 0 {
		return nil, errors.New("no verifier keys given")
	}
	seen := map[string]string{} // name+hash -> key
	var vs []note.Verifier
	for _, k := range keys {
		k = strings.TrimSpace(k)
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("verifier key %q: %w", k, err)
		}
		id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
		if prev, ok := seen[id]; ok {
			if prev != k {
				return nil, fmt.Errorf("verifier keys %q and %q have the same name and key hash", prev, k)
			}
			continue
		}
		seen[id] = k
		vs = append(vs, v)
	}
	return note.VerifierList(vs...), nil
}
