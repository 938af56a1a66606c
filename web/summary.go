package web

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/safetext"
)

// summaryView is the batch page's summary of its items: by folder, by
// person and by month (store.BatchSummary).
type summaryView struct {
	Intro string
	Parts []summaryPart
}

// summaryPart is one table of the summary.
type summaryPart struct {
	ID      string // the heading's id
	Title   string
	Note    string // what the key is
	KeyCol  string
	Rows    []summaryRow
	More    string // "… and 90 more folders: 900 items, 1,2 GB"
	Without string // "12 items without a person"
	Empty   string // no key at all
}

type summaryRow struct{ Key, Items, Size string }

// summary reads batch b's summary and words it for the page; nil when it
// cannot be read (the page shows the items all the same; the error is
// logged).
func (s *Server) summary(ctx context.Context, b *store.Batch, l Locale) *summaryView {
	sum, err := s.p.Store.BatchSummary(ctx, b.ID)
	if sum == nil {
		s.log.Error("batch summary failed", zap.Int64("batch", b.ID), zap.Error(err))
		return nil
	}
	if errors.Is(err, store.ErrSummaryNotStored) {
		s.log.Warn("batch summary not stored", zap.Int64("batch", b.ID), zap.Error(err))
	}
	v := &summaryView{Intro: l.F("sum.intro", l.Number(sum.Items), l.Size(sum.Bytes))}
	if sum.Items == 0 {
		return v // every item withdrawn: nothing to count
	}
	add := func(id string, p store.SummaryPart, key func(string) string, without string) {
		sp := summaryPart{ID: "sum-" + id, Title: l.T("sum." + id), Note: l.T("sum." + id + ".note"), KeyCol: l.T("sum.col." + id)}
		for _, r := range p.Top {
			sp.Rows = append(sp.Rows, summaryRow{Key: key(r.Key), Items: l.Number(r.Items), Size: l.Size(r.Bytes)})
		}
		if keys, items, bytes := p.Rest(); keys > 0 {
			sp.More = l.F("sum.more."+id, l.Number(keys), l.Number(items), l.Size(bytes))
		}
		if n := sum.Items - p.Items; n > 0 && without != "" {
			sp.Without = l.F(without, l.Number(n))
		}
		if p.Keys == 0 {
			sp.Empty = l.T("sum." + id + ".none")
			sp.Without = ""
		}
		v.Parts = append(v.Parts, sp)
	}
	add("folders", sum.Folders, safetext.Name, "")
	// The person as `batches show` prints it: the subject the rule links
	// the item to ("student:1234", a number from the school system).
	add("people", sum.People, safetext.Name, "sum.people.without")
	add("months", sum.Months, func(k string) string { return k }, "sum.months.without")
	return v
}

// summaryWords are the batch summary's and downloads' words (merged into catalog).
var summaryWords = map[string]map[string]string{
	"da": {
		"sum.title":          "Elementerne i tal",
		"sum.intro":          "%s elementer er stadig på slettelisten (%s). De største grupper først:",
		"sum.folders":        "Efter mappe",
		"sum.folders.note":   "Mappen eller postkassen, der rummer elementet.",
		"sum.col.folders":    "Mappe",
		"sum.more.folders":   "… og %s mapper mere: %s elementer, %s",
		"sum.folders.none":   "Ingen elementer.",
		"sum.people":         "Efter person",
		"sum.people.note":    "Personens nummer, som slettereglen knytter elementet til (som i batches show).",
		"sum.col.people":     "Person",
		"sum.more.people":    "… og %s personer mere: %s elementer, %s",
		"sum.people.without": "%s elementer er ikke knyttet til en person.",
		"sum.people.none":    "Slettereglen knytter ikke elementerne til en person.",
		"sum.months":         "Efter måned",
		"sum.months.note":    "Måneden for elementets slettedato (den dag, det skal slettes fra).",
		"sum.col.months":     "Måned",
		"sum.more.months":    "… og %s måneder mere: %s elementer, %s",
		"sum.months.without": "%s elementer har ingen slettedato.",
		"sum.months.none":    "Elementerne har ingen slettedato.",
		"sum.col.items":      "Elementer",
		"sum.col.size":       "Størrelse",
		"items.xlsx":         "Hent alle elementer som Excel (XLSX)",
	},
	"sv": {
		"sum.title":          "Objekten i siffror",
		"sum.intro":          "%s objekt finns kvar på gallringslistan (%s). De största grupperna först:",
		"sum.folders":        "Per mapp",
		"sum.folders.note":   "Mappen eller brevlådan som objektet ligger i.",
		"sum.col.folders":    "Mapp",
		"sum.more.folders":   "… och %s mappar till: %s objekt, %s",
		"sum.folders.none":   "Inga objekt.",
		"sum.people":         "Per person",
		"sum.people.note":    "Personens nummer som gallringsregeln knyter objektet till (som i batches show).",
		"sum.col.people":     "Person",
		"sum.more.people":    "… och %s personer till: %s objekt, %s",
		"sum.people.without": "%s objekt är inte knutna till någon person.",
		"sum.people.none":    "Gallringsregeln knyter inte objekten till någon person.",
		"sum.months":         "Per månad",
		"sum.months.note":    "Månaden för objektets gallringsdatum (dagen det ska gallras från).",
		"sum.col.months":     "Månad",
		"sum.more.months":    "… och %s månader till: %s objekt, %s",
		"sum.months.without": "%s objekt har inget gallringsdatum.",
		"sum.months.none":    "Objekten har inget gallringsdatum.",
		"sum.col.items":      "Objekt",
		"sum.col.size":       "Storlek",
		"items.xlsx":         "Hämta alla objekt som Excel (XLSX)",
	},
	"en": {
		"sum.title":          "The items in numbers",
		"sum.intro":          "%s items are still in the batch (%s). The largest groups first:",
		"sum.folders":        "By folder",
		"sum.folders.note":   "The folder or mailbox holding the item.",
		"sum.col.folders":    "Folder",
		"sum.more.folders":   "… and %s more folders: %s items, %s",
		"sum.folders.none":   "No items.",
		"sum.people":         "By person",
		"sum.people.note":    "The person's number the rule links the item to (as batches show prints it).",
		"sum.col.people":     "Person",
		"sum.more.people":    "… and %s more people: %s items, %s",
		"sum.people.without": "%s items are linked to no person.",
		"sum.people.none":    "The rule links these items to no person.",
		"sum.months":         "By month",
		"sum.months.note":    "The month of the item's due date (the day it is due for deletion from).",
		"sum.col.months":     "Month",
		"sum.more.months":    "… and %s more months: %s items, %s",
		"sum.months.without": "%s items have no due date.",
		"sum.months.none":    "The items have no due date.",
		"sum.col.items":      "Items",
		"sum.col.size":       "Size",
		"items.xlsx":         "Download every item as Excel (XLSX)",
	},
}
