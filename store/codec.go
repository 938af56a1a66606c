package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PlanItem is one item of a plan that is not simply kept.
type PlanItem struct {
	Ref       string
	Version   string
	Container string
	Size      int64
	Verdict   string // due, review, held, archive
	Rule      string
	Subject   string // "kind:id", if the rule links one
	Anchor    string // civil date the period counted from, if known
	Due       string // civil date the item became due, if it will
	Note      string // for review, held and archive: why
	// InBatch is the open batch the item already was in when the plan
	// was made (0: none): such items are not batched again. It is not
	// part of the chunk's encoding but of its row (plan_chunk.in_batch),
	// and is set on items read back by PlanItems.
	InBatch int64
}

const codecVersion = 1

var errCorruptChunk = errors.New("corrupt plan chunk")

// encodeItems packs items: a version byte, then per item the string fields
// as uvarint length + bytes and the size as a varint.
func encodeItems(buf []byte, items []PlanItem) []byte {
	buf = append(buf[:0], codecVersion)
	for i := range items {
		it := &items[i]
		for _, s := range [...]string{it.Ref, it.Version, it.Container, it.Verdict, it.Rule, it.Subject, it.Anchor, it.Due, it.Note} {
			buf = binary.AppendUvarint(buf, uint64(len(s)))
			buf = append(buf, s...)
		}
		buf = binary.AppendVarint(buf, it.Size)
	}
	return buf
}

// decodeItems is the inverse of encodeItems.
func decodeItems(b []byte, n int) ([]PlanItem, error) {
	if len(b) == 0 || b[0] != codecVersion {
		return nil, fmt.Errorf("%w: unknown encoding", errCorruptChunk)
	}
	b = b[1:]
	items := make([]PlanItem, n)
	for i := range items {
		it := &items[i]
		for _, p := range [...]*string{&it.Ref, &it.Version, &it.Container, &it.Verdict, &it.Rule, &it.Subject, &it.Anchor, &it.Due, &it.Note} {
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return nil, fmt.Errorf("%w: item %d", errCorruptChunk, i)
			}
			*p = string(b[k : k+int(l)])
			b = b[k+int(l):]
		}
		sz, k := binary.Varint(b)
		if k <= 0 {
			return nil, fmt.Errorf("%w: item %d", errCorruptChunk, i)
		}
		it.Size = sz
		b = b[k:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCorruptChunk, len(b))
	}
	return items, nil
}

// decodeRefs calls fn with the ref and version of each item of an encoded
// chunk, without making strings of the other fields: what a plan needs to
// know about the items of open batches. The strings share one copy of the
// chunk.
func decodeRefs(data []byte, n int, fn func(ref, version string)) error {
	if len(data) == 0 || data[0] != codecVersion {
		return fmt.Errorf("%w: unknown encoding", errCorruptChunk)
	}
	b := string(data[1:])
	var field [2]string
	for i := range n {
		for f := range 9 {
			l, k := binary.Uvarint([]byte(b[:min(len(b), binary.MaxVarintLen64)]))
			if k <= 0 || l > uint64(len(b)-k) {
				return fmt.Errorf("%w: item %d", errCorruptChunk, i)
			}
			if f < 2 {
				field[f] = b[k : k+int(l)]
			}
			b = b[k+int(l):]
		}
		_, k := binary.Varint([]byte(b[:min(len(b), binary.MaxVarintLen64)]))
		if k <= 0 {
			return fmt.Errorf("%w: item %d", errCorruptChunk, i)
		}
		b = b[k:]
		fn(field[0], field[1])
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errCorruptChunk, len(b))
	}
	return nil
}
