package instructiondoc

import (
	"encoding/csv"

	"github.com/retentiond/retentiond/store/safetext"
)

// csvWriter writes every cell escaped for a CSV file (safetext.CSV):
// controls made visible, a cell a spreadsheet would read as a formula
// prefixed with a single quote.
type csvWriter struct{ *csv.Writer }

func (w csvWriter) Write(rec []string) error {
	out := make([]string, len(rec))
	for i, c := range rec {
		out[i] = safetext.CSV(c)
	}
	return w.Writer.Write(out)
}

// shown is d with every text escaped (safetext.Name) for the Markdown and
// PDF forms: a number or a category from an export is data, never layout.
func (d *Doc) shown() *Doc {
	c := *d
	c.ID, c.System, c.IssuedBy = safetext.Name(d.ID), safetext.Name(d.System), safetext.Name(d.IssuedBy)
	c.Lines = make([]Line, len(d.Lines))
	for i, l := range d.Lines {
		c.Lines[i] = shownLine(l)
	}
	c.Withdrawn = make([]Withdrawn, len(d.Withdrawn))
	for i, w := range d.Withdrawn {
		c.Withdrawn[i] = Withdrawn{Line: shownLine(w.Line), Instruction: safetext.Name(w.Instruction), Hold: safetext.Name(w.Hold)}
	}
	return &c
}

func shownLine(l Line) Line {
	return Line{Due: safetext.Name(l.Due), Rule: safetext.Name(l.Rule), Category: safetext.Name(l.Category), Person: safetext.Name(l.Person)}
}
