package ledger

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/mod/sumdb/note"
)

// VerifierKey is a parsed Ed25519 note verifier key, the public half of a
// Signer, with the other encodings auditors' tools read.
type VerifierKey struct {
	Text   string // note format: "<name>+<hash>+<base64 key>"
	Name   string
	Hash   uint32 // note key hash: the first 4 bytes of a signature line
	Public ed25519.PublicKey
}

// ParseVerifierKey parses an Ed25519 verifier key in note format.
func ParseVerifierKey(text string) (*VerifierKey, error) {
	text = strings.TrimSpace(text)
	v, err := note.NewVerifier(text)
	if err != nil {
		return nil, fmt.Errorf("verifier key %q: %w", text, err)
	}
	parts := strings.SplitN(text, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("verifier key %q: want <name>+<hash>+<key>", text)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return nil, fmt.Errorf("verifier key %q: not an Ed25519 key", text)
	}
	return &VerifierKey{Text: text, Name: v.Name(), Hash: v.KeyHash(), Public: ed25519.PublicKey(raw[1:])}, nil
}

// ID is the key's name and hash, "<name>+<8 hex digits>", as a signature
// line identifies it.
func (k *VerifierKey) ID() string { return keyName(k.Name, k.Hash) }

// HashHex is the key hash as 8 hex digits.
func (k *VerifierKey) HashHex() string { return fmt.Sprintf("%08x", k.Hash) }

// PEM returns the public key as a PKIX "PUBLIC KEY" PEM block, which
// openssl reads.
func (k *VerifierKey) PEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// SSH returns the public key in OpenSSH authorized_keys form, without a
// trailing newline.
func (k *VerifierKey) SSH() (string, error) {
	pub, err := ssh.NewPublicKey(k.Public)
	if err != nil {
		return "", fmt.Errorf("encode ssh public key: %w", err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))), nil
}

// SSHSigner returns the signing key for SSH signatures (ssh-keygen -Y
// sign), which sign export manifests.
func (s *Signer) SSHSigner() (ssh.Signer, error) {
	if s.priv == nil {
		return nil, errors.New("signing key has no private key")
	}
	return ssh.NewSignerFromKey(s.priv)
}

// SignatureKeyHash returns the key hash of a note signature line's
// base64 signature ("— <name> <base64>"), the first 4 bytes.
func SignatureKeyHash(b64 string) (uint32, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) < 4 {
		return 0, errors.New("signature is not base64 of at least 4 bytes")
	}
	return binary.BigEndian.Uint32(raw), nil
}
