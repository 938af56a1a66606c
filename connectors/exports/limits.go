package exports

import (
	"errors"
	"fmt"
	"io"
)

// Limits bound what reading one export may cost. A school's export is a
// few thousand rows of a few hundred bytes; a file far beyond that is not
// an export to trust (200 MB of junk rows once took minutes and gigabytes),
// so it is refused whole, before anything is imported from it. The zero
// value means the defaults.
type Limits struct {
	// MaxBytes is the largest export file read, in bytes; 0 is
	// DefaultMaxBytes.
	MaxBytes int64
	// MaxRows is the most data rows an export may have; 0 is
	// DefaultMaxRows.
	MaxRows int
}

// Default limits: 64 MiB and 250,000 rows, far above any school's export
// (bench/exports.sh imports 200,000 rows).
const (
	DefaultMaxBytes int64 = 64 << 20
	DefaultMaxRows        = 250_000
	// MaxLineBytes is the longest physical line of a CSV export: a longer
	// one is no row of names and dates, and reading it would hold it
	// whole in memory.
	MaxLineBytes = 1 << 20
)

// ErrTooLarge is wrapped by errors about an export beyond its Limits.
var ErrTooLarge = errors.New("the export is larger than retentiond accepts")

func (l Limits) maxBytes() int64 {
	if l.MaxBytes > 0 {
		return l.MaxBytes
	}
	return DefaultMaxBytes
}

func (l Limits) maxRows() int {
	if l.MaxRows > 0 {
		return l.MaxRows
	}
	return DefaultMaxRows
}

// sizeError says that an export of size bytes (or more, when atLeast) is
// over the limit.
func (l Limits) sizeError(size int64, atLeast bool) error {
	more := ""
	if atLeast {
		more = "more than "
	}
	return fmt.Errorf("the export is %s%s, the limit is %s (options.max_megabytes): refused, nothing imported from it; if the export is real, raise the limit: %w",
		more, megabytes(size), megabytes(l.maxBytes()), ErrTooLarge)
}

func (l Limits) rowsError() error {
	return fmt.Errorf("the export has more than %d rows, the limit (options.max_rows): refused, nothing imported from it; if the export is real, raise the limit: %w",
		l.maxRows(), ErrTooLarge)
}

func megabytes(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// boundedReader reads at most max bytes of r, and, when lines is set, no
// physical line longer than MaxLineBytes; beyond either it fails with an
// error wrapping ErrTooLarge. It remembers that error, so that a parser
// that reports the failure as something else can be corrected.
type boundedReader struct {
	r       io.Reader
	lim     Limits
	max     int64
	n       int64 // bytes read
	lines   bool
	lineLen int64 // bytes since the last '\n'
	line    int   // physical line number of the current line
	err     error
}

func newBoundedReader(r io.Reader, lim Limits, lines bool) *boundedReader {
	return &boundedReader{r: r, lim: lim, max: lim.maxBytes(), lines: lines, line: 1}
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if rest := b.max + 1 - b.n; int64(len(p)) > rest {
		p = p[:rest] // one byte more than allowed tells a file over the limit
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		b.err = b.lim.sizeError(b.max, true)
		return 0, b.err
	}
	if b.lines {
		for _, c := range p[:n] {
			if c == '\n' {
				b.line++
				b.lineLen = 0
				continue
			}
			b.lineLen++
			if b.lineLen > MaxLineBytes {
				b.err = &RowError{Line: b.line, Err: fmt.Errorf("the line is longer than %s, which no export row is: refused, nothing imported from it: %w", megabytes(MaxLineBytes), ErrTooLarge)}
				return 0, b.err
			}
		}
	}
	return n, err
}
