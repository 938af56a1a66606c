package web

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/retentiond/retentiond/scheduler/review"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/safetext"
)

// summaryRowRE is one row of the summary's folder table.
var summaryRowRE = regexp.MustCompile(`<tr><th scope="row" data-label="Folder">([^<]*)</th><td data-label="Items" class="num">([0-9,]+)</td>`)

// folderCounts counts the items of the batch not withdrawn by folder, from
// the items the store holds (not from the summary): the page's reference.
func folderCounts(t *testing.T, e *testEnv, id int64) (map[string]int, int) {
	t.Helper()
	ctx := context.Background()
	ws, err := e.p.Store.BatchWithdrawals(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out, n := map[string]int{}, 0
	err = e.p.Store.BatchChunks(ctx, id, func(c store.Chunk) error {
		for _, it := range c.Items {
			if _, gone := ws[it.Ref]; gone {
				continue
			}
			folder := it.Container
			if folder == "" {
				folder = path.Dir(it.Ref)
			}
			out[safetext.Name(folder)]++
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, n
}

// checkSummaryPage compares the page's folder table with folderCounts:
// the largest folders, in order, and the rest in the "more" line.
func checkSummaryPage(t *testing.T, e *testEnv, c *http.Client, id int64) string {
	t.Helper()
	_, page := get(t, c, fmt.Sprintf("%s/batches/%d", e.ts.URL, id))
	want, total := folderCounts(t, e, id)
	type kv struct {
		k string
		n int
	}
	var rows []kv
	for k, n := range want {
		rows = append(rows, kv{k, n})
	}
	// Largest first; equal counts are ordered by bytes, which this test
	// does not know: compare the counts in order, and the folders as sets.
	slices.SortFunc(rows, func(a, b kv) int { return cmp.Compare(b.n, a.n) })
	got := summaryRowRE.FindAllStringSubmatch(page, -1)
	if len(got) != min(len(rows), store.SummaryTop) {
		t.Fatalf("%d folder rows, want %d:\n%s", len(got), min(len(rows), store.SummaryTop), page)
	}
	shown := 0
	for i, m := range got {
		key := html.UnescapeString(m[1])
		n := want[key]
		if fmt.Sprint(n) != strings.ReplaceAll(m[2], ",", "") || n != rows[i].n {
			t.Fatalf("row %d: folder %q with %s items; the items say %d (the %d. largest has %d)", i, key, m[2], n, i+1, rows[i].n)
		}
		shown += n
	}
	if !strings.Contains(page, fmt.Sprintf("%s items are still in the batch", (Locale{Lang: "en"}).Number(int64(total)))) {
		t.Fatalf("the summary does not count %d items:\n%s", total, page)
	}
	if len(rows) > store.SummaryTop {
		more := fmt.Sprintf("… and %d more folders: %d items", len(rows)-store.SummaryTop, total-shown)
		if !strings.Contains(page, more) {
			t.Fatalf("no %q on the page:\n%s", more, page)
		}
	}
	return page
}

// TestBatchSummaryPage: the batch page's summary by folder and by month
// counts the batch's items as the store holds them, hostile folder names
// escaped, and counts again after an exclusion.
func TestBatchSummaryPage(t *testing.T) {
	e := newTestEnv(t, "en")
	var names []string
	for i := range 14 {
		for j := range i + 1 {
			names = append(names, fmt.Sprintf("two/folder-%02d/file-%d.txt", i, j))
		}
	}
	names = append(names, hostile, "two/<b>bold</b>/x.txt", "two/<b>bold</b>/y.txt")
	b := e.plan(names...)
	c := e.signIn("anna")
	page := checkSummaryPage(t, e, c, b.ID)
	if strings.Contains(page, "<b>bold") || strings.Contains(page, "<script>alert") {
		t.Fatalf("raw name in the summary:\n%s", page)
	}
	for _, want := range []string{"By folder", "By person", "The rule links these items to no person.", "By month", "2026-11", "Download every item as Excel (XLSX)"} {
		if !strings.Contains(page, want) {
			t.Fatalf("no %q on the page:\n%s", want, page)
		}
	}
	// Excluding the largest folder's items changes the order.
	form := url.Values{"reason": {"kept for a case"}}
	for j := range 14 {
		form.Add("item", fmt.Sprintf("two/folder-13/file-%d.txt", j))
	}
	resp, body := post(t, e, c, fmt.Sprintf("/batches/%d/exclude", b.ID), form)
	if resp.StatusCode != 200 || !strings.Contains(body, "The items are excluded.") {
		t.Fatalf("exclude: %s\n%s", resp.Status, body)
	}
	page = checkSummaryPage(t, e, c, b.ID)
	if strings.Contains(page, ">two/folder-13<") {
		t.Fatalf("the excluded folder is still counted:\n%s", page)
	}
	// Everything excluded: nothing to count.
	form = url.Values{"reason": {"kept for a case"}, "pattern": {"**"}}
	if resp, body := post(t, e, c, fmt.Sprintf("/batches/%d/exclude", b.ID), form); resp.StatusCode != 200 {
		t.Fatalf("exclude all: %s\n%s", resp.Status, body)
	}
	page = checkSummaryPage(t, e, c, b.ID)
	if !strings.Contains(page, "0 items are still in the batch") || strings.Contains(page, "By folder") {
		t.Fatalf("summary of an emptied batch:\n%s", page)
	}
}

// TestDownloadXLSX: the batch's items as XLSX, read back: the rows
// `batches show --format xlsx` writes (review.WriteXLSX), every item; a
// name that starts like a formula is a text cell, controls escaped.
func TestDownloadXLSX(t *testing.T) {
	e := newTestEnv(t, "en")
	formula := "=HYPERLINK(\"x.invalid\";\"click\")"
	b := e.plan(hostile, "two/"+formula, "two/plain.txt", "two/+1.txt", "two/-1.txt", "two/@x.txt")
	c := e.signIn("anna")
	resp, body := get(t, c, fmt.Sprintf("%s/batches/%d/items.xlsx", e.ts.URL, b.ID))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		resp.Header.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="batch-%d.xlsx"`, b.ID) {
		t.Fatalf("download: %s %v", resp.Status, resp.Header)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	// The same workbook as the command line's.
	var cli bytes.Buffer
	bb, err := e.p.Store.Batch(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := review.New(context.Background(), e.p, bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := review.WriteXLSX(context.Background(), &cli, e.p, bb, st, 0); err != nil {
		t.Fatal(err)
	}
	xc, err := excelize.OpenReader(&cli)
	if err != nil {
		t.Fatal(err)
	}
	defer xc.Close()
	want, _ := xc.GetRows(xc.GetSheetName(0))
	if !slices.EqualFunc(rows, want, slices.Equal) || len(rows) != 7 || strings.Join(rows[0], ",") != strings.Join(review.Header, ",") {
		t.Fatalf("xlsx rows %q, want %q", rows, want)
	}
	found := 0
	for i, r := range rows[1:] {
		if strings.ContainsAny(r[0], "\x07") || strings.Contains(r[0], "<script>") && !strings.Contains(r[0], `\a`) {
			t.Errorf("cell %q holds a raw control", r[0])
		}
		name, err := safetext.Unescape(r[0])
		if err != nil {
			t.Errorf("path %q: %v", r[0], err)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if f, _ := x.GetCellFormula(sheet, cell); f != "" {
			t.Errorf("cell %s is a formula %q", cell, f)
		}
		if typ, _ := x.GetCellType(sheet, cell); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("cell %s (%q) has type %v", cell, r[0], typ)
		}
		if name == "two/"+formula || name == hostile {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("hostile names found %d times in %q", found, rows)
	}
	noRedirect := *c
	noRedirect.Jar = nil
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if resp, _ := get(t, &noRedirect, fmt.Sprintf("%s/batches/%d/items.xlsx", e.ts.URL, b.ID)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed out: %s", resp.Status)
	}
}
