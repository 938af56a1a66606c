package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// pageBatch stores a plan of items (all due under one rule) with one batch
// of them, and returns the batch and its items as BatchChunks reads them.
func pageBatch(t *testing.T, s *Store, refs []string) (int64, []PlanItem) {
	t.Helper()
	ctx := context.Background()
	w, err := s.NewPlan(ctx, Plan{Source: "src", SourceKind: "memory", CreatedAt: Time{time.Unix(0, 0)}, Today: "2026-11-22", Planner: "it"})
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range refs {
		it := PlanItem{Ref: ref, Version: fmt.Sprintf("v%d", i), Container: fmt.Sprintf("c%d", i/700), Size: int64(i), Verdict: "due", Rule: "R",
			Due: "2026-01-01", Note: "note with Æ and ø and DOKUMENT"}
		if err := w.Add(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	var batchID int64
	_, _, err = w.Finish(ctx, Plan{Listed: int64(len(refs))}, func(tx *Tx, p *Plan, totals []RuleTotal) error {
		if len(totals) == 0 {
			b := Batch{PlanID: p.ID, Source: "src", Rule: "R", Status: StatusPending}
			batchID, err = tx.CreateBatch(&b)
			return err
		}
		b := Batch{PlanID: p.ID, Source: "src", Rule: "R", Items: totals[0].Items, Fingerprint: totals[0].Fingerprint, Status: StatusPending}
		batchID, err = tx.CreateBatch(&b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var all []PlanItem
	chunks := 0
	if err := s.BatchChunks(ctx, batchID, func(c Chunk) error { chunks++; all = append(all, c.Items...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != len(refs) {
		t.Fatalf("batch holds %d items, want %d", len(all), len(refs))
	}
	t.Logf("%d items in %d chunks", len(all), chunks)
	return batchID, all
}

func pageRefs(n int) []string {
	refs := make([]string, n)
	for i := range refs {
		switch i % 7 {
		case 0:
			refs[i] = fmt.Sprintf("skole/Ærø/Elev-%05d/Straße.PDF", i)
		case 1:
			refs[i] = fmt.Sprintf("skole/ærø/elev-%05d/ΣΟΦΊΑ.docx", i)
		case 2:
			refs[i] = fmt.Sprintf("skole/İstanbul/elev-%05d/x.txt", i)
		default:
			refs[i] = fmt.Sprintf("skole/Elever/ELEV-%05d/dokument-%d.pdf", i, i%10)
		}
	}
	return refs
}

func readFrom(t *testing.T, s *Store, batch, skip int64, limit int) []PlanItem {
	t.Helper()
	var got []PlanItem
	err := s.BatchItemsFrom(context.Background(), batch, skip, func(it PlanItem) error {
		if len(got) == limit {
			return ErrStop
		}
		got = append(got, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestBatchItemsFrom(t *testing.T) {
	s := open(t)
	batch, all := pageBatch(t, s, pageRefs(3*chunkSize+101))
	n := int64(len(all))
	for _, skip := range []int64{0, 1, 99, chunkSize - 1, chunkSize, chunkSize + 1, 2*chunkSize - 50, n - 100, n - 1} {
		got := readFrom(t, s, batch, skip, 101)
		want := all[skip:min(n, skip+101)]
		if !slices.Equal(got, want) {
			t.Fatalf("skip %d: got %d items, want %d (first %v, want %v)", skip, len(got), len(want), got[:min(1, len(got))], want[:min(1, len(want))])
		}
	}
	// The whole batch from 0 across every chunk boundary.
	if got := readFrom(t, s, batch, 0, -1); !slices.Equal(got, all) {
		t.Fatalf("read %d items, want %d", len(got), len(all))
	}
	// A page past the end is empty.
	for _, skip := range []int64{n, n + 1, n + 1000} {
		if got := readFrom(t, s, batch, skip, 100); len(got) != 0 {
			t.Fatalf("skip %d past the end: %d items", skip, len(got))
		}
	}
	// An error of fn is returned.
	boom := errors.New("boom")
	if err := s.BatchItemsFrom(context.Background(), batch, 5, func(PlanItem) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func TestBatchPageEmptyBatch(t *testing.T) {
	s := open(t)
	batch, _ := pageBatch(t, s, nil)
	if got := readFrom(t, s, batch, 0, 100); len(got) != 0 {
		t.Fatalf("empty batch: %d items", len(got))
	}
	if err := s.BatchSearch(context.Background(), batch, "x", func(PlanItem) error { t.Fatal("match in an empty batch"); return nil }); err != nil {
		t.Fatal(err)
	}
	// A batch that does not exist reads as empty too.
	if got := readFrom(t, s, batch+100, 0, 100); len(got) != 0 {
		t.Fatalf("no batch: %d items", len(got))
	}
}

func TestBatchSearch(t *testing.T) {
	for _, indexed := range []bool{false, true} {
		t.Run(fmt.Sprintf("indexed=%v", indexed), func(t *testing.T) {
			s := open(t)
			refs := pageRefs(3*chunkSize + 101)
			refs[len(refs)-1] = "skole/Sidste/Ünïcode-ÉNDE.txt"
			refs[len(refs)-3] = "skole/\u212aelvin/Kelvin.txt"
			refs[5] = "skole/bad-\xff\xfe-utf8/\xc3"
			batch, all := pageBatch(t, s, refs)
			if indexed {
				indexBatch(t, s, batch)
				if _, ok, err := s.searchCandidates(context.Background(), batch, "elev"); err != nil || !ok {
					t.Fatalf("the batch is not searched through its index: %v", err)
				}
			}
			checkSearch(t, s, batch, all)
		})
	}
}

// checkSearch searches the batch for hard cases and compares with
// filterRefs.
func checkSearch(t *testing.T, s *Store, batch int64, all []PlanItem) {
	search := func(q string, limit int) []PlanItem {
		var got []PlanItem
		err := s.BatchSearch(context.Background(), batch, q, func(it PlanItem) error {
			if len(got) == limit {
				return ErrStop
			}
			got = append(got, it)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, c := range []struct {
		q    string
		want int // -1: not counted by hand
	}{
		{"", len(all)},
		{"elev-00001/", 1},           // one item, mixed case in the ref
		{"ELEV-0", -1},               // ASCII, case folded, matches in every chunk
		{"dokument-3", -1},           // ASCII without case
		{"dokument", -1},             // letters only: the lower-cased chunk is searched
		{"ærø", -1},                  // non-ASCII, both cases of the refs
		{"ÆRØ/ELEV-00007", 1},        // non-ASCII query, upper case
		{"straße.pdf", -1},           // ß
		{"σοφία", -1},                // Greek, the ref upper case with an accent
		{"i̇stanbul", -1},            // İ lower-cases to i + U+0307 (longer)
		{"istanbul", 0},              // … so plain i does not match, as strings.ToLower says
		{"ünïcode-énde", 1},          // the last item only
		{"UNICODE", 0},               // no match
		{"note with", 0},             // in every chunk's bytes (a note), in no ref
		{"DOKUMENT.pdf", 0},          // never in a ref
		{"v12", 0},                   // in versions only
		{"\xff", -1},                 // not UTF-8: not prefiltered, still right
		{"\uFFFD", -1},               // U+FFFD: not prefiltered
		{strings.Repeat("e", 80), 0}, // longer than a ref
		{"kelvin", -1},               // the Kelvin sign lower-cases to k, but not as ASCII
		{"\u212aelvin", 1},           // … and matches itself
		{"\xff\xfe", -1},             // invalid UTF-8 in a ref
		{"bad-\xff", -1},
		{"ad-\ufffd", -1}, // strings.ToLower turns \xff into U+FFFD
		{"e-0", -1},       // three bytes: through the index
		{"ø/", -1},        // two runes, three bytes
		{"ø", -1},         // two bytes: the trigrams it starts
	} {
		want := filterRefs(all, c.q)
		if c.want >= 0 && len(want) != c.want {
			t.Fatalf("%q: the test expects %d matches, the reference finds %d", c.q, c.want, len(want))
		}
		got := search(c.q, -1)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: %d matches, want %d", c.q, len(got), len(want))
		}
		if len(want) > 150 {
			if got := search(c.q, 150); !slices.Equal(got, want[:150]) {
				t.Fatalf("%q: stopped search differs", c.q)
			}
		}
	}
	// Matches in several chunks: the ASCII search above spans them all.
	if got := search("elev-0", -1); got[len(got)-1].Ref != all[len(all)-2].Ref || got[0].Ref != all[0].Ref {
		t.Fatalf("search across chunks: first %s last %s", got[0].Ref, got[len(got)-1].Ref)
	}
}

// filterRefs is the search's reference: each ref lower-cased as the console
// did before the store searched (ASCII letters for an ASCII q, else
// strings.ToLower).
func filterRefs(all []PlanItem, q string) []PlanItem {
	var out []PlanItem
	for _, it := range all {
		var ok bool
		if isASCII(q) {
			ok = strings.Contains(string(lowerASCII(nil, []byte(it.Ref))), strings.ToLower(q))
		} else {
			ok = strings.Contains(strings.ToLower(it.Ref), strings.ToLower(q))
		}
		if ok {
			out = append(out, it)
		}
	}
	return out
}

// The raw-bytes filter never rules out a chunk holding a matching ref,
// whatever bytes the other fields and the ref hold (invalid UTF-8, length
// bytes that are UTF-8 lead bytes).
func TestChunkFilterNoFalseNegative(t *testing.T) {
	pieces := []string{"a", "A", "-", "Æ", "æ", "ß", "İ", "i̇", "Σ", "ς", "\xc3", "\x80", "\xff", "\u212a", "k", "K", ".pdf", "\uFFFD", "é", "É"}
	queries := []string{"a", "A-", "æ", "Æ-a", "ß", "i̇", "σ", "ς", "k", "K.PDF", "\u212a", "é-", "\xc3", "\uFFFD", "-", "aa"}
	var seed uint64 = 1
	next := func(n int) int { seed = seed*6364136223846793005 + 1442695040888963407; return int(seed>>33) % n }
	for range 3000 {
		items := make([]PlanItem, 1+next(3))
		for i := range items {
			var ref, note strings.Builder
			for range next(8) {
				ref.WriteString(pieces[next(len(pieces))])
			}
			for range next(200) {
				note.WriteString(pieces[next(len(pieces))])
			}
			items[i] = PlanItem{Ref: ref.String(), Note: note.String(), Version: pieces[next(len(pieces))], Size: int64(next(1 << 20))}
		}
		data := encodeItems(nil, items)
		for _, q := range queries {
			match := RefMatcher(q)
			want := slices.ContainsFunc(items, func(it PlanItem) bool { return match(it.Ref) })
			if hit, _ := chunkFilter(q)(data, nil); want && !hit {
				t.Fatalf("q %q: chunk with refs %+v ruled out", q, items)
			}
		}
	}
}

func TestLowerASCII(t *testing.T) {
	src := make([]byte, 0, 256*3+5)
	for range 3 {
		for c := range 256 {
			src = append(src, byte(c))
		}
	}
	src = append(src, "ABCDE"...)
	for off := range 9 {
		got := lowerASCII([]byte("x"), src[off:])
		want := []byte("x")
		for _, c := range src[off:] {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			want = append(want, c)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("offset %d: lowerASCII differs", off)
		}
	}
}
