package ledger

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// RefKeyRing is the current reference key and the retired ones kept beside
// it as <path>.<key id>, so that references made before a rotation can
// still be computed.
type RefKeyRing struct {
	Current *RefKey
	Retired []*RefKey // in the order of their key ids
}

// LoadRefKeyRing loads the reference key at path and every retired key
// beside it: each file named <path>.<key id> (8 lower-case hex digits), in
// the format LoadRefKey reads. Other files beside it (<path>.next during a
// rotation, backups) are not keys of the ring. There may be no retired key
// at all. A retired file whose key id differs from its name is an error,
// and so is one that cannot be read.
func LoadRefKeyRing(path string) (*RefKeyRing, error) {
	cur, err := LoadRefKey(path)
	if err != nil {
		return nil, err
	}
	ring := &RefKeyRing{Current: cur}
	// The directory is listed rather than globbed, so that a path with
	// '*', '?' or '[' in it is taken literally.
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("retired reference keys beside %s: %w", path, err)
	}
	var ids []string
	for _, de := range des {
		id, ok := strings.CutPrefix(de.Name(), base+".")
		if ok && isKeyID(id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		name := path + "." + id
		k, err := LoadRefKey(name)
		if err != nil {
			return nil, fmt.Errorf("retired key %s: %w", name, err)
		}
		if k.ID() != id {
			return nil, fmt.Errorf("retired reference key %s holds key %s, not %s: rename it to %s.%s", name, k.ID(), id, path, k.ID())
		}
		ring.Retired = append(ring.Retired, k)
	}
	return ring, nil
}

// Refs returns the reference of value in domain under every key of the
// ring, the current key's first.
func (r *RefKeyRing) Refs(domain, value string) []string {
	out := make([]string, 0, 1+len(r.Retired))
	out = append(out, r.Current.Ref(domain, value))
	for _, k := range r.Retired {
		out = append(out, k.Ref(domain, value))
	}
	return out
}
