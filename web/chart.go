package web

import (
	"fmt"
	"strconv"
)

// Charts are drawn on the server as inline SVG inside the page: no script,
// no style attribute (the CSP allows neither); colours and type come from
// classes in static/dashboard.css. Each chart is an image with a title and
// a description (role="img", aria-labelledby) and the page shows the same
// numbers in a table beside it, the text alternative a screen reader
// reads and a keyboard user tabs through.
//
// Every chart is a horizontal bar chart: a row per label, its bar's length
// the value (stacked when a row has several parts), the number written
// after it. Rows read well at any width, so one drawing serves a desktop
// and a phone: the SVG scales with its viewBox (dashboard.css bounds its
// width so that its text stays between about 11 and 16 pixels).

// Geometry of a chart, in viewBox units.
const (
	chartWidth   = 360
	chartLabelW  = 104 // labels end at chartLabelW-6
	chartValueW  = 52  // room for the number after the longest bar
	chartRowH    = 26
	chartBarH    = 16
	chartTop     = 8
	chartLegendH = 22
)

// chart is one bar chart as its template draws it.
type chart struct {
	ID     string // prefix of the ids of its title and description
	Title  string
	Desc   string
	Width  int
	Height int
	Legend []legendItem
	Rows   []chartRow
	Empty  bool // every value is 0
	// LabelX is where labels end; AxisX, AxisY1 and AxisY2 the axis the
	// bars start from.
	LabelX, AxisX, AxisY1, AxisY2 int
}

type legendItem struct {
	X, Y  int // of the swatch; the text follows
	TX    int
	Class string
	Name  string
}

// chartRow is a labelled row: its label, its bar's segments and the
// number after them.
type chartRow struct {
	Label  string
	LabelY int // baseline of the label and the number
	Segs   []chartSeg
	Value  string
	ValueX int
	// Tip is the row's text for a pointer's tooltip (<title>).
	Tip string
}

type chartSeg struct {
	X, Y, W, H string // formatted numbers
	Class      string
}

// chartPart is one part of a row's value.
type chartPart struct {
	Value int64
	Class string // bar-a, bar-b, bar-c
	Name  string // for the legend and the tooltip
}

// chartInput is a row before layout.
type chartInput struct {
	Label string
	Parts []chartPart
}

// barChart lays rows out. A legend is drawn when the rows have more than
// one part; number formats n for the page's language.
func barChart(id, title, desc string, rows []chartInput, number func(int64) string) chart {
	c := chart{ID: id, Title: title, Desc: desc, Width: chartWidth}
	var max int64
	for _, r := range rows {
		var sum int64
		for _, p := range r.Parts {
			sum += p.Value
		}
		if sum > max {
			max = sum
		}
	}
	c.Empty = max == 0
	y := chartTop
	if len(rows) > 0 && len(rows[0].Parts) > 1 {
		// Items side by side, on as many lines as they need; a name is
		// reckoned at 7 units a letter (11.5px text).
		x := 0
		for _, p := range rows[0].Parts {
			w := 16 + 7*len([]rune(p.Name))
			if x > 0 && x+w > chartWidth {
				x = 0
				y += chartLegendH - 4
			}
			c.Legend = append(c.Legend, legendItem{X: x, Y: y + 2, TX: x + 16, Class: p.Class, Name: p.Name})
			x += w + 14
		}
		y += chartLegendH
	}
	c.LabelX, c.AxisX, c.AxisY1 = chartLabelW-6, chartLabelW-1, y+2
	span := float64(chartWidth - chartLabelW - chartValueW)
	for _, r := range rows {
		row := chartRow{Label: r.Label, LabelY: y + chartRowH/2 + 5}
		x := float64(chartLabelW)
		var sum int64
		tip := r.Label + ":"
		for i, p := range r.Parts {
			sum += p.Value
			if len(r.Parts) > 1 {
				sep := " "
				if i > 0 {
					sep = ", "
				}
				tip += sep + p.Name + " " + number(p.Value)
			}
			if p.Value <= 0 || max == 0 {
				continue
			}
			w := span * float64(p.Value) / float64(max)
			if w < 1 {
				w = 1 // a value too small to see is still drawn
			}
			row.Segs = append(row.Segs, chartSeg{X: num(x), Y: strconv.Itoa(y + (chartRowH-chartBarH)/2), W: num(w), H: strconv.Itoa(chartBarH), Class: p.Class})
			x += w
		}
		if len(r.Parts) <= 1 {
			tip += " " + number(sum)
		}
		row.Value, row.ValueX, row.Tip = number(sum), int(x)+6, tip
		c.Rows = append(c.Rows, row)
		y += chartRowH
	}
	c.AxisY2 = y - 2
	c.Height = y + chartTop
	return c
}

// num formats a coordinate with at most one decimal.
func num(f float64) string { return fmt.Sprintf("%.1f", f) }
