package fileshare

import (
	"io"
	"io/fs"
	"os"
)

var errEOF = io.EOF

// readDir reads a folder's entries. It is a variable so that tests can make
// a folder unreadable even when they run as root, where permission bits do
// not stop reading.
var readDir = func(f *os.File, n int) ([]fs.DirEntry, error) { return f.ReadDir(n) }
