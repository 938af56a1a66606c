package ledger

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// ed25519VerifierKey builds a note verifier key from a key name and an
// Ed25519 seed, as note.GenerateKey does.
func ed25519VerifierKey(name string, seed []byte) (string, error) {
	if len(seed) != ed25519.SeedSize {
		return "", fmt.Errorf("read signing key: bad seed")
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	key := append([]byte{1}, pub...)
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(key)
	hash := binary.BigEndian.Uint32(h.Sum(nil))
	return fmt.Sprintf("%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(key)), nil
}
