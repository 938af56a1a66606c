package store

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// indexBatch writes a batch's summary and search index, as a plan does
// when it cuts the batch.
func indexBatch(t testing.TB, s *Store, batch int64) {
	t.Helper()
	if err := s.Write(context.Background(), func(tx *Tx) error { return tx.IndexBatch(batch) }); err != nil {
		t.Fatal(err)
	}
}

// summaryItems are items with folders (containers, or none: the folder of
// the path), people (some none) and due dates over several months, sizes
// all different; names hostile.
func summaryItems(n int) []PlanItem {
	items := make([]PlanItem, n)
	for i := range items {
		it := PlanItem{Ref: fmt.Sprintf("skole/<script>\"f%d\"/elev-%05d/doc-%d.pdf", i%13, i, i%10), Version: fmt.Sprintf("v%d", i),
			Size: int64(1000 + i*7%5003), Verdict: "due", Rule: "R", Due: fmt.Sprintf("2026-%02d-%02d", 1+i%11, 1+i%28)}
		if i%5 != 0 {
			it.Container = fmt.Sprintf("skole/<script>\"f%d\"", i%13) + strings.Repeat("x", i%3)
		}
		if i%4 != 0 {
			it.Subject = fmt.Sprintf("student:%d", (i*31)%97)
		}
		if i%17 == 0 {
			it.Due = ""
		}
		items[i] = it
	}
	return items
}

// storeBatch stores items as one plan with one batch of them (CreateBatch
// alone: index with indexBatch).
func storeBatch(t testing.TB, s *Store, items []PlanItem) int64 {
	t.Helper()
	ctx := context.Background()
	w, err := s.NewPlan(ctx, Plan{Source: "src", SourceKind: "memory", CreatedAt: Time{time.Unix(0, 0)}, Today: "2026-11-22", Planner: "it"})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := w.Add(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	var id int64
	_, _, err = w.Finish(ctx, Plan{Listed: int64(len(items))}, func(tx *Tx, p *Plan, totals []RuleTotal) error {
		b := Batch{PlanID: p.ID, Source: "src", Rule: "R", Items: totals[0].Items, Fingerprint: totals[0].Fingerprint, Status: StatusPending}
		id, err = tx.CreateBatch(&b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// wantSummary counts the items of the batch not withdrawn, from the
// items BatchChunks decodes, key by key, and sorts every key (not only the
// top ones).
func wantSummary(t *testing.T, s *Store, batch int64, gone map[string]bool) (items, bytes int64, parts [3][]SummaryRow) {
	t.Helper()
	maps := [3]map[string]*SummaryRow{{}, {}, {}}
	add := func(m map[string]*SummaryRow, k string, size int64) {
		if m[k] == nil {
			m[k] = &SummaryRow{Key: k}
		}
		m[k].Items++
		m[k].Bytes += size
	}
	err := s.BatchChunks(context.Background(), batch, func(c Chunk) error {
		for _, it := range c.Items {
			if gone[it.Ref] {
				continue
			}
			items++
			bytes += it.Size
			folder := it.Container
			if folder == "" {
				folder = path.Dir(it.Ref)
			}
			add(maps[0], folder, it.Size)
			if it.Subject != "" {
				add(maps[1], it.Subject, it.Size)
			}
			if it.Due != "" {
				add(maps[2], it.Due[:7], it.Size)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range maps {
		for _, r := range m {
			parts[i] = append(parts[i], *r)
		}
		slices.SortFunc(parts[i], func(a, b SummaryRow) int {
			return cmp.Or(cmp.Compare(b.Items, a.Items), cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.Key, b.Key))
		})
	}
	return items, bytes, parts
}

func checkSummary(t *testing.T, s *Store, batch int64, gone map[string]bool) *BatchSummary {
	t.Helper()
	got, err := s.BatchSummary(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	items, bytes, parts := wantSummary(t, s, batch, gone)
	if got.Items != items || got.Bytes != bytes || got.Withdrawn != int64(len(gone)) {
		t.Fatalf("summary counts %d items, %d bytes, %d withdrawn; want %d, %d, %d", got.Items, got.Bytes, got.Withdrawn, items, bytes, len(gone))
	}
	for i, p := range []SummaryPart{got.Folders, got.People, got.Months} {
		want := parts[i]
		if !slices.Equal(p.Top, want[:min(len(want), SummaryTop)]) {
			t.Fatalf("part %d: top %+v, want %+v", i, p.Top, want[:min(len(want), SummaryTop)])
		}
		var wi, wb int64
		for _, r := range want[len(p.Top):] {
			wi += r.Items
			wb += r.Bytes
		}
		if k, it, by := p.Rest(); k != int64(len(want)-len(p.Top)) || it != wi || by != wb {
			t.Fatalf("part %d: rest %d keys %d items %d bytes, want %d, %d, %d", i, k, it, by, len(want)-len(p.Top), wi, wb)
		}
	}
	return got
}

func TestBatchSummary(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	items := summaryItems(3*chunkSize + 77)
	batch := storeBatch(t, s, items)
	indexBatch(t, s, batch)
	first := checkSummary(t, s, batch, nil)
	if first.People.Keys != 97 || first.Months.Keys != 11 || first.Folders.Keys < 13 {
		t.Fatalf("keys: %d folders, %d people, %d months", first.Folders.Keys, first.People.Keys, first.Months.Keys)
	}
	// Withdrawals (a re-plan's and an exclusion's): the summary is
	// computed again, and stored.
	gone := map[string]bool{}
	withdraw := func(refs ...string) {
		t.Helper()
		err := s.Write(ctx, func(tx *Tx) error {
			for _, ref := range refs {
				gone[ref] = true
				if _, err := tx.Withdraw(Withdrawal{BatchID: batch, Ref: ref, Version: "v", Code: "changed", At: Time{time.Unix(1, 0)}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The largest folder loses items until it is no longer the largest.
	top := first.Folders.Top[0].Key
	var refs []string
	for _, it := range items {
		folder := it.Container
		if folder == "" {
			folder = path.Dir(it.Ref)
		}
		if folder == top && len(refs) < 400 {
			refs = append(refs, it.Ref)
		}
	}
	withdraw(refs...)
	after := checkSummary(t, s, batch, gone)
	if after.Folders.Top[0].Key == top {
		t.Fatalf("folder %s is still the largest after 400 of its items were withdrawn", top)
	}
	var stamp int64
	if err := s.r.GetContext(ctx, &stamp, `SELECT withdrawn FROM batch_index WHERE batch_id = ?`, batch); err != nil || stamp != int64(len(gone)) {
		t.Fatalf("stored summary counts out %d withdrawals (%v), want %d", stamp, err, len(gone))
	}
	withdraw(items[len(items)-1].Ref, items[0].Ref)
	checkSummary(t, s, batch, gone)
	// Withdrawn items are still found by a search (the page lists them).
	var found int
	if err := s.BatchSearch(ctx, batch, items[0].Ref, func(PlanItem) error { found++; return nil }); err != nil || found != 1 {
		t.Fatalf("withdrawn item found %d times (%v)", found, err)
	}
}

// A batch cut before summaries were stored gets its summary and search
// index on its first summary.
func TestBatchSummaryOfOlderBatch(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	items := summaryItems(chunkSize + 5)
	batch := storeBatch(t, s, items)
	if _, ok, err := s.searchCandidates(ctx, batch, "elev-00001"); err != nil || ok {
		t.Fatalf("unindexed batch searched through an index (%v)", err)
	}
	checkSummary(t, s, batch, nil)
	seqs, ok, err := s.searchCandidates(ctx, batch, "elev-00001")
	if err != nil || !ok || len(seqs) == 0 {
		t.Fatalf("after its summary the batch has no index: %v %v %v", seqs, ok, err)
	}
	if _, err := s.BatchSummary(ctx, batch+100); err == nil {
		t.Fatal("summary of a batch that does not exist")
	}
}

// A search over a batch of 20,000 items whose one match is its last item
// reads only the chunks holding the query's trigrams.
func TestBatchSearchSparseAtEnd(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	items := make([]PlanItem, 20000)
	for i := range items {
		items[i] = PlanItem{Ref: fmt.Sprintf("two/Elever/elev-%06d/dokument-%d.pdf", i/10, i%10), Version: "v", Container: fmt.Sprintf("two/Elever/elev-%06d", i/10),
			Size: 1, Verdict: "due", Rule: "R", Due: "2026-09-02"}
	}
	items[len(items)-1].Ref = "two/Elever/Sidste/Årsrapport ENDELIG.pdf"
	batch := storeBatch(t, s, items)
	indexBatch(t, s, batch)
	for _, q := range []string{"årsrapport endelig", "ÅRSRAPPORT", "sidste/", "elev-001998/dokument-9", "å", "Å", "g", "G", " "} {
		var got []string
		if err := s.BatchSearch(ctx, batch, q, func(it PlanItem) error { got = append(got, it.Ref); return nil }); err != nil {
			t.Fatal(err)
		}
		want := filterRefs(items, q)
		if len(got) != 1 || len(want) != 1 || got[0] != want[0].Ref {
			t.Fatalf("%q: found %q, want %v", q, got, want)
		}
		seqs, ok, err := s.searchCandidates(ctx, batch, q)
		if err != nil || !ok || len(seqs) > 2 {
			t.Fatalf("%q: %d candidate chunks of %d (%v)", q, len(seqs), (len(items)+chunkSize-1)/chunkSize, err)
		}
	}
}

// The index never rules out a chunk holding a matching ref, whatever the
// refs' bytes (the test RefMatcher decides).
func TestGramIndexNoFalseNegative(t *testing.T) {
	pieces := []string{"a", "A", "-", "Æ", "æ", "ß", "İ", "i̇", "Σ", "ς", "\xc3", "\x80", "\xff", "\u212a", "k", "K", ".pdf", "\uFFFD", "é", "É", "abc", "ABC"}
	queries := []string{"abc", "ABC-", "æab", "Æ-a", "ßa", "i̇", "σς", "kab", "K.PDF", "\u212aab", "é-a", "\xc3\x80a", "\uFFFD", "-a-", "aaa", "ÆÆ",
		"a", "A", "æ", "Æ", "k", "-", "\xff", "\xc3", "ab", "a-", "ß"}
	var seed uint64 = 7
	next := func(n int) int { seed = seed*6364136223846793005 + 1442695040888963407; return int(seed>>33) % n }
	for range 3000 {
		g := newGramIndex()
		var refs []string
		for range 1 + next(3) {
			var ref strings.Builder
			for range next(8) {
				ref.WriteString(pieces[next(len(pieces))])
			}
			refs = append(refs, ref.String())
			g.addRef([]byte(ref.String()))
		}
		g.endChunk(1)
		for _, q := range queries {
			checkGrams(t, g, refs, q)
		}
	}
}

func checkGrams(t *testing.T, g *gramIndex, refs []string, q string) {
	t.Helper()
	match, matchBytes := RefMatcher(q), refMatcherBytes(q)
	for _, ref := range refs {
		m := match(ref)
		if matchBytes([]byte(ref)) != m {
			t.Fatalf("q %q ref %q: the byte test differs", q, ref)
		}
		if !m {
			continue
		}
		for _, c := range queryGrams(q) {
			if g.post[c] == nil {
				t.Fatalf("q %q matches ref %q but trigram %06x is not indexed", q, ref, c)
			}
		}
		if lq := strings.ToLower(q); len(lq) > 0 && len(lq) < 3 {
			found := false
			for c := range g.post {
				found = found || string([]byte{byte(c >> 16), byte(c >> 8), byte(c)})[:len(lq)] == lq
			}
			if !found {
				t.Fatalf("q %q matches ref %q but no trigram starts with it", q, ref)
			}
		}
	}
}

// FuzzSearchQuery: for any ref and query, the byte test agrees with
// RefMatcher and a matching ref's trigrams hold every trigram of the
// query.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range [][2]string{{"skole/Ærø/Elev-1/Straße.PDF", "ærø/e"}, {"a\u212aelvin", "kel"}, {"İstanbul", "i̇st"}, {"x\xffy", "\xffy"}, {"ΣΟΦΊΑ", "σοφ"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, ref, q string) {
		g := newGramIndex()
		g.addRef([]byte(ref))
		g.endChunk(1)
		checkGrams(t, g, []string{ref}, q)
	})
}
