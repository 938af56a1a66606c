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
	"strings"
)

// ErrKeyMissing is wrapped by the errors of LoadRefKey, LoadSigner and the
// LoadOrCreate functions for a key file that does not exist.
var ErrKeyMissing = errors.New("key file missing")

// RefKey makes the pseudonymous references that stand in for items,
// folders and subjects in the ledger. Whoever holds the key can answer "was
// this item deleted?" by computing its reference; the ledger alone reveals
// nothing about the names or paths behind its references.
type RefKey struct {
	id  string // first 8 hex characters of SHA-256 of the key
	key [32]byte
}

// refKeySize is the size of a reference key secret.
const refKeySize = 32

// NewRefKey returns the reference key with the given secret, which must be
// exactly 32 bytes. The secret is copied.
func NewRefKey(secret []byte) (*RefKey, error) {
	if len(secret) != refKeySize {
		return nil, fmt.Errorf("reference key must be %d bytes, not %d", refKeySize, len(secret))
	}
	k := &RefKey{}
	copy(k.key[:], secret)
	sum := sha256.Sum256(k.key[:])
	k.id = hex.EncodeToString(sum[:4])
	return k, nil
}

// ID identifies the key in the references it makes: the first 8 lower-case
// hex characters of the SHA-256 of the secret.
func (k *RefKey) ID() string { return k.id }

// Ref returns the reference of value in domain:
//
//	"h1:" + ID() + ":" + base64url(HMAC-SHA256(key, domain + "\x00" + value))
//
// without padding. The domain names what kind of thing value is and where
// it lives, e.g. "item:fileshare:admin-share" for an item's path or
// "subject" for a subject id, so that equal values in different domains
// get unrelated references. A domain must not contain a NUL byte; with that,
// distinct (domain, value) pairs never share an HMAC input. The same key,
// domain and value always give the same reference.
func (k *RefKey) Ref(domain, value string) string {
	m := hmac.New(sha256.New, k.key[:])
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	var sum [sha256.Size]byte
	return "h1:" + k.id + ":" + base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
}

// ParseRef splits a reference made by Ref into its key id (8 lower-case
// hex characters) and its 32-byte MAC. It accepts only the exact form Ref
// produces.
func ParseRef(s string) (keyID string, mac []byte, err error) {
	rest, ok := strings.CutPrefix(s, "h1:")
	if !ok {
		return "", nil, fmt.Errorf("reference %q: want h1:<key id>:<mac>", s)
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok || !isKeyID(id) {
		return "", nil, fmt.Errorf("reference %q: want h1:<8 hex digit key id>:<mac>", s)
	}
	if !isMAC(b64) {
		return "", nil, fmt.Errorf("reference %q: MAC is not 32 bytes of unpadded base64url", s)
	}
	mac, err = base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return "", nil, fmt.Errorf("reference %q: %w", s, err)
	}
	return id, mac, nil
}

// isRef reports whether ParseRef accepts s, without allocating.
func isRef(s string) bool {
	rest, ok := strings.CutPrefix(s, "h1:")
	if !ok || len(rest) != 8+1+macLen || rest[8] != ':' {
		return false
	}
	return isKeyID(rest[:8]) && isMAC(rest[9:])
}

const (
	base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	macLen    = (sha256.Size*8 + 5) / 6 // 43 characters of unpadded base64
)

// isMAC reports whether s is the canonical unpadded base64url encoding of
// 32 bytes: 43 characters of the alphabet, the last of which carries 4
// bits of the MAC and 2 zero bits.
func isMAC(s string) bool {
	if len(s) != macLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base64URL, s[i]) < 0 {
			return false
		}
	}
	return strings.IndexByte(base64URL, s[len(s)-1])&3 == 0
}

func isKeyID(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// LoadRefKey reads the reference key file at path: the 32-byte secret in
// standard base64, optionally followed by one newline. The file must not be
// readable or writable by group or others (except on Windows). If the file
// does not exist the error wraps ErrKeyMissing and tells the operator to
// restore it from backup, since without it the references already in the
// ledger can no longer be matched to items.
func LoadRefKey(path string) (*RefKey, error) {
	b, err := readKeyFile(path, "reference key",
		"without it the references already in the ledger can no longer be matched to items, folders or subjects")
	if err != nil {
		return nil, err
	}
	text := strings.TrimSuffix(string(b), "\n")
	secret, err := base64.StdEncoding.DecodeString(text)
	if err != nil || base64.StdEncoding.EncodeToString(secret) != text {
		return nil, fmt.Errorf("reference key %s: want %d bytes in standard base64 on one line", path, refKeySize)
	}
	k, err := NewRefKey(secret)
	if err != nil {
		return nil, fmt.Errorf("reference key %s: %w", path, err)
	}
	return k, nil
}

// CreateRefKey generates a reference key from random (crypto/rand if nil)
// and writes it to path with mode 0600, creating the parent directory with
// mode 0700 if needed, and syncs it to disk. It fails if path exists, so it
// never replaces a key whose references are already in a ledger.
func CreateRefKey(path string, random io.Reader) (*RefKey, error) {
	if random == nil {
		random = rand.Reader
	}
	secret := make([]byte, refKeySize)
	if _, err := io.ReadFull(random, secret); err != nil {
		return nil, fmt.Errorf("generate reference key: %w", err)
	}
	k, err := NewRefKey(secret)
	if err != nil {
		return nil, err
	}
	if err := writeKeyFile(path, []byte(base64.StdEncoding.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("create reference key: %w", err)
	}
	return k, nil
}

// LoadOrCreateRefKey loads the reference key at path. If the file does not
// exist and mayCreate is set, it creates one (see CreateRefKey) and reports
// created; if mayCreate is not set, the error wraps ErrKeyMissing.
func LoadOrCreateRefKey(path string, random io.Reader, mayCreate bool) (k *RefKey, created bool, err error) {
	k, err = LoadRefKey(path)
	if errors.Is(err, ErrKeyMissing) && mayCreate {
		k, err = CreateRefKey(path, random)
		if err != nil {
			return nil, false, err
		}
		return k, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return k, false, nil
}
