package fileshare

import (
	"io/fs"
	"strconv"
)

// version is "s<size>-m<mtime in Unix nanoseconds>", followed by
// "-i<inode>" where the system reports one (see fileID).
func version(info fs.FileInfo) string {
	var buf [64]byte
	b := append(buf[:0], 's')
	b = strconv.AppendInt(b, info.Size(), 10)
	b = append(b, "-m"...)
	b = strconv.AppendInt(b, info.ModTime().UnixNano(), 10)
	if id, ok := fileID(info); ok {
		b = append(b, "-i"...)
		b = strconv.AppendUint(b, id, 10)
	}
	return string(b)
}
