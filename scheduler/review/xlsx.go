package review

import (
	"archive/zip"
	"context"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/safetext"
)

// XLSXRows is the most rows a worksheet holds; a batch longer than that
// continues on a second sheet, with the header again.
const XLSXRows = excelize.TotalRows

// WriteXLSX writes the first limit items of a batch (0: all) as an XLSX
// workbook (`batches show --format xlsx`, the console's download), one
// chunk read at a time, streamed to w as it is made. Cells are typed
// strings, never formulas (a name starting with = stays text); names and
// reasons are escaped by safetext.Name, so that controls show.
func WriteXLSX(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *ItemStates, limit int) error {
	f := excelize.NewFile()
	defer f.Close()
	// File.Write builds the whole zip in memory before writing it; a zip
	// writer of our own on w streams it instead: the worksheet's rows are
	// copied from excelize's temporary file straight into the archive.
	// (Its zip64 fix-up of the buffer is not needed: a worksheet part of at
	// most XLSXRows rows stays far below 4 GiB.)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	sheet := fmt.Sprintf("Batch %d", b.ID)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	header := make([]any, len(Header))
	for i, h := range Header {
		header[i] = h
	}
	var (
		sw     *excelize.StreamWriter
		row    int
		sheets int
	)
	open := func() error {
		sheets++
		name := sheet
		if sheets > 1 {
			name = fmt.Sprintf("%s (%d)", sheet, sheets)
			if _, err := f.NewSheet(name); err != nil {
				return fmt.Errorf("write xlsx: %w", err)
			}
		}
		var err error
		if sw, err = f.NewStreamWriter(name); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
		sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
		row = 1
		return sw.SetRow("A1", header)
	}
	if err := open(); err != nil {
		return err
	}
	vals := make([]any, len(Header))
	err := EachRow(ctx, p, b, st, limit, func(r *Row) error {
		if row >= XLSXRows {
			if err := sw.Flush(); err != nil {
				return fmt.Errorf("write xlsx: %w", err)
			}
			if err := open(); err != nil {
				return err
			}
		}
		row++
		// Cells are typed strings, never formulas; names are escaped so
		// that controls show (and XML can hold them).
		vals[0], vals[1], vals[2], vals[3], vals[4] = safetext.Name(r.Path), r.Size, r.Modified, r.Rule, r.Due
		vals[5], vals[6], vals[7], vals[8] = safetext.Name(r.Reason), safetext.Name(r.Person), r.State, r.Code
		vals[9] = ""
		if r.Successor > 0 {
			vals[9] = r.Successor
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, vals)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := f.Write(io.Discard); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
