package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// Methods of a key_rotation entry: which key was rotated.
const (
	// KeySigning: a new checkpoint signing key took over. Entry.Key holds
	// its verifier key in note format; Entry.Period the overlap during
	// which checkpoints are signed by the old and the new key.
	KeySigning = "signing_key"
	// KeyReference: a new reference key took over. Entry.Key holds its key
	// id; references made after the entry use it.
	KeyReference = "reference_key"
)

// keyName identifies a note key by name and key hash, as note signatures
// do: "<name>+<hash in hex>".
func keyName(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }

// keyRing is the set of keys Verify trusts. It grows as the ledger
// introduces keys: a key_rotation entry at index i names a new key, which
// becomes trusted when the first checkpoint covering entry i verifies with
// a key trusted before it and is signed by the new key too. From then on
// every checkpoint covering the rotation must carry the new key's
// signature, so a retired key alone can no longer vouch for new history.
type keyRing struct {
	base    note.Verifiers
	trusted map[string]note.Verifier // introduced keys, by keyName
	pending []introducedKey
	// required is the key every checkpoint larger than requiredFrom must
	// be signed by: the newest endorsed key.
	required     string
	requiredFrom int64
}

type introducedKey struct {
	index int64
	v     note.Verifier
}

func newKeyRing(base note.Verifiers) *keyRing {
	return &keyRing{base: base, trusted: map[string]note.Verifier{}}
}

// Verifier implements note.Verifiers with the keys trusted now.
func (r *keyRing) Verifier(name string, hash uint32) (note.Verifier, error) {
	if v, ok := r.trusted[keyName(name, hash)]; ok {
		return v, nil
	}
	if r.base == nil {
		return nil, &note.UnknownVerifierError{Name: name, KeyHash: hash}
	}
	return r.base.Verifier(name, hash)
}

// introduce records a key named by a key_rotation entry at index i.
func (r *keyRing) introduce(i int64, key string) error {
	v, err := note.NewVerifier(key)
	if err != nil {
		return err
	}
	r.pending = append(r.pending, introducedKey{i, v})
	return nil
}

// signed is called for a checkpoint of size n that verified with the keys
// trusted before it. It endorses the keys introduced by entries the
// checkpoint covers, which must have signed it too, and checks that the
// newest endorsed key signed it. It returns a reason to refuse the
// checkpoint, or "".
func (r *keyRing) signed(n int64, msg []byte) string {
	var endorsed []introducedKey
	for len(r.pending) > 0 && r.pending[0].index < n {
		endorsed = append(endorsed, r.pending[0])
		r.pending = r.pending[1:]
	}
	for _, k := range endorsed {
		name := keyName(k.v.Name(), k.v.KeyHash())
		r.trusted[name] = k.v
		r.required, r.requiredFrom = name, k.index
	}
	if r.required == "" || n <= r.requiredFrom {
		return ""
	}
	nt, err := note.Open(msg, r)
	if err != nil {
		return fmt.Sprintf("checkpoint does not verify with the keys trusted at size %d: %v", n, err)
	}
	for _, s := range nt.Sigs {
		if keyName(s.Name, s.Hash) == r.required {
			return ""
		}
	}
	return fmt.Sprintf("checkpoint at size %d is not signed by key %s, which took over at entry %d: a retired key cannot vouch for later entries", n, r.required, r.requiredFrom)
}
