package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrStop, returned by the fn of BatchItemsFrom or BatchSearch, ends the
// read without an error.
var ErrStop = errors.New("stop")

// BatchItemsFrom calls fn for the batch's items in order, starting with the
// skip'th (0-based), until fn returns ErrStop or the items end. Chunks
// wholly before skip are passed over by their item count (plan_chunk.n)
// without reading their data; only the chunks from the one holding item
// skip on are decoded.
func (s *Store) BatchItemsFrom(ctx context.Context, batchID, skip int64, fn func(PlanItem) error) error {
	startSeq, within, ok, err := s.batchChunkAt(ctx, batchID, skip)
	if err != nil || !ok {
		return err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, n, data FROM plan_chunk WHERE batch_id = ? AND seq >= ? ORDER BY seq`, batchID, startSeq)
	if err != nil {
		return fmt.Errorf("read batch items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq  int64
			n    int
			data []byte
		)
		if err := rows.Scan(&seq, &n, &data); err != nil {
			return fmt.Errorf("read batch items: %w", err)
		}
		items, err := decodeItems(data, n)
		if err != nil {
			return fmt.Errorf("read plan chunk %d: %w", seq, err)
		}
		for i := int(within); i < len(items); i++ {
			if err := fn(items[i]); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
		within = 0
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read batch items: %w", err)
	}
	return nil
}

// batchChunkAt finds the chunk holding the skip'th item of a batch and
// the item's index in it, from the chunks' item counts alone; ok is false
// when the batch has no more than skip items.
func (s *Store) batchChunkAt(ctx context.Context, batchID, skip int64) (seq, within int64, ok bool, err error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, n FROM plan_chunk WHERE batch_id = ? ORDER BY seq`, batchID)
	if err != nil {
		return 0, 0, false, fmt.Errorf("read batch chunks: %w", err)
	}
	defer rows.Close()
	var seen int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&seq, &n); err != nil {
			return 0, 0, false, fmt.Errorf("read batch chunks: %w", err)
		}
		if seen+n > skip {
			return seq, skip - seen, true, nil
		}
		seen += n
	}
	if err := rows.Err(); err != nil {
		return 0, 0, false, fmt.Errorf("read batch chunks: %w", err)
	}
	return 0, 0, false, nil
}

// BatchSearch calls fn, in order, for each item of the batch whose ref
// contains q as RefMatcher(q) decides, until fn returns ErrStop or the
// items end. A chunk is decoded only when its raw bytes, lower-cased the
// same way, contain the lower-cased q: the ref is stored as its bytes, so a
// chunk without them holds no match (the other fields may hold them, so
// each ref of a chunk that does is still checked).
//
// A batch with a search index (batchindex.go) is searched through it
// when q has three bytes or more: only the chunks holding every trigram
// of q are read, and in them only the refs are looked at.
func (s *Store) BatchSearch(ctx context.Context, batchID int64, q string, fn func(PlanItem) error) error {
	if seqs, indexed, err := s.searchCandidates(ctx, batchID, q); err != nil {
		return err
	} else if indexed {
		return s.indexedSearch(ctx, batchID, q, seqs, fn)
	}
	match := RefMatcher(q)
	pre := chunkFilter(q)
	rows, err := s.r.QueryContext(ctx, `SELECT seq, n, data FROM plan_chunk WHERE batch_id = ? ORDER BY seq`, batchID)
	if err != nil {
		return fmt.Errorf("search batch items: %w", err)
	}
	defer rows.Close()
	var buf []byte
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			seq  int64
			n    int
			data sql.RawBytes // the driver's copy, valid until Next: decoding copies
		)
		if err := rows.Scan(&seq, &n, &data); err != nil {
			return fmt.Errorf("search batch items: %w", err)
		}
		var hit bool
		if hit, buf = pre(data, buf); !hit {
			continue
		}
		items, err := decodeItems(data, n)
		if err != nil {
			return fmt.Errorf("read plan chunk %d: %w", seq, err)
		}
		for i := range items {
			if !match(items[i].Ref) {
				continue
			}
			if err := fn(items[i]); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search batch items: %w", err)
	}
	return nil
}

// RefMatcher returns the console's search test: whether a ref contains q,
// ignoring case — the case of ASCII letters when q is ASCII, else of all
// letters (strings.ToLower of both). An empty q matches every ref.
func RefMatcher(q string) func(string) bool {
	if q == "" {
		return func(string) bool { return true }
	}
	if !isASCII(q) {
		lq := strings.ToLower(q)
		return func(s string) bool { return strings.Contains(strings.ToLower(s), lq) }
	}
	lq := []byte(strings.ToLower(q))
	return func(s string) bool { return containsFoldASCII(s, lq) }
}

// chunkFilter returns the raw-bytes test of BatchSearch: false only when no
// ref of the chunk can match q. buf is scratch space, returned for reuse.
func chunkFilter(q string) func(data, buf []byte) (bool, []byte) {
	switch {
	case q == "":
		return func(_, buf []byte) (bool, []byte) { return true, buf }
	case isASCII(q):
		// Lower-casing ASCII letters is a byte-for-byte map, so the ref's
		// bytes inside the chunk lower-case exactly as the ref alone does.
		lq := []byte(strings.ToLower(q))
		if at, anchor := caselessRun(lq); len(anchor) > 0 {
			// The longest run of q without letters is looked for exactly
			// (bytes.Index is fast), and q around each of its places.
			return func(data, buf []byte) (bool, []byte) {
				for off := 0; ; {
					i := bytes.Index(data[off:], anchor)
					if i < 0 {
						return false, buf
					}
					start := off + i - at
					if start >= 0 && start+len(lq) <= len(data) && equalFoldASCII(data[start:start+len(lq)], lq) {
						return true, buf
					}
					off += i + 1
				}
			}
		}
		return func(data, buf []byte) (bool, []byte) {
			buf = lowerASCII(buf[:0], data)
			return bytes.Contains(buf, lq), buf
		}
	case !utf8.ValidString(q) || strings.ContainsRune(q, utf8.RuneError):
		// strings.ToLower turns invalid bytes into U+FFFD: a ref ending in
		// an incomplete sequence may then decode differently inside the
		// chunk (joined with the next field's length byte). Such a query
		// is not prefiltered.
		return func(_, buf []byte) (bool, []byte) { return true, buf }
	default:
		// A ref's bytes start right after its length varint, whose last
		// byte is ASCII, so decoding runes through the chunk meets the
		// ref's first byte at a rune boundary and maps its runes as
		// strings.ToLower(ref) does, up to an incomplete sequence at its
		// end, which only a U+FFFD in q could match (excluded above).
		lq := []byte(strings.ToLower(q))
		return func(data, buf []byte) (bool, []byte) {
			return bytes.Contains(bytes.ToLower(data), lq), buf
		}
	}
}

// caselessRun returns the longest run of bytes of q (lower-case ASCII)
// that are not letters, and where it starts.
func caselessRun(q []byte) (at int, run []byte) {
	for i := 0; i < len(q); {
		if 'a' <= q[i] && q[i] <= 'z' {
			i++
			continue
		}
		j := i
		for j < len(q) && !('a' <= q[j] && q[j] <= 'z') {
			j++
		}
		if j-i > len(run) {
			at, run = i, q[i:j]
		}
		i = j
	}
	return at, run
}

// equalFoldASCII reports whether b equals q (lower-case ASCII), ignoring
// the case of ASCII letters in b.
func equalFoldASCII(b, q []byte) bool {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != q[i] {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether s contains q (lower-case ASCII),
// ignoring the case of ASCII letters, without allocating.
func containsFoldASCII(s string, q []byte) bool {
	n := len(q)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != q[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// lowerASCII appends src to dst with the ASCII letters A–Z lower-cased and
// every other byte as it is, eight bytes at a time.
func lowerASCII(dst, src []byte) []byte {
	const (
		ones = 0x0101010101010101
		low7 = 0x7f * ones
		high = 0x80 * ones
	)
	start := len(dst)
	dst = append(dst, src...)
	b := dst[start:]
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x & low7
		ge := y + (0x80-'A')*ones   // high bit: byte&0x7f >= 'A'
		gt := y + (0x80-'Z'-1)*ones // high bit: byte&0x7f > 'Z'
		m := ge &^ gt &^ x & high   // A–Z and ASCII
		binary.LittleEndian.PutUint64(b[i:], x|m>>2)
	}
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return dst
}
