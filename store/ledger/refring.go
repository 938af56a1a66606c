package ledger

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// RefKeyRing is the current reference key and the retired ones kept beside
// it as <path>.<key id>, so that references made before a rotation can
// still be computed.
type RefKeyRing struct {
	Current *RefKey
	Retired []*RefKey
}

// LoadRefKeyRing loads the reference key at path and every retired key
// beside it. A retired file whose key id differs from its name is an error.
func LoadRefKeyRing(path string) (*RefKeyRing, error) {
	cur, err := LoadRefKey(path)
	if err != nil {
		return nil, err
	}
	ring := &RefKeyRing{Current: cur}
	matches, err := filepath.Glob(path + ".*")
	if err != nil {
		return nil, err
	}
	sort.Strings(matches)
	for _, m := range matches {
		id := strings.TrimPrefix(m, path+".")
		if !isKeyID(id) {
			continue // .next, .pub and other files
		}
		k, err := LoadRefKey(m)
		if err != nil {
			return nil, err
		}
		if k.ID() != id {
			return nil, fmt.Errorf("retired reference key %s holds key %s, not %s", m, k.ID(), id)
		}
		ring.Retired = append(ring.Retired, k)
	}
	return ring, nil
}

// Refs returns the reference of value in domain under every key of the
// ring, the current key's first.
func (r *RefKeyRing) Refs(domain, value string) []string {
	out := []string{r.Current.Ref(domain, value)}
	for _, k := range r.Retired {
		out = append(out, k.Ref(domain, value))
	}
	return out
}
