package fileshare

import (
	"io/fs"
	"strconv"
)

// version is "s<size>-m<mtime in Unix nanoseconds>", followed by
// "-i<inode>" where the system reports one (see fileID).
func version(info fs.FileInfo) string {
	id, ok := fileID(info)
	return versionOf(info.Size(), info.ModTime().UnixNano(), id, ok)
}

// versionOf is version from the attributes themselves: the listing's
// fast path (lstatNames) and Stat must give the same version for the
// same file.
func versionOf(size, mtimeNs int64, id uint64, hasID bool) string {
	var buf [64]byte
	return string(appendVersion(buf[:0], size, mtimeNs, id, hasID))
}

// appendVersion appends versionOf's version to b.
func appendVersion(b []byte, size, mtimeNs int64, id uint64, hasID bool) []byte {
	b = append(b, 's')
	b = strconv.AppendInt(b, size, 10)
	b = append(b, "-m"...)
	b = strconv.AppendInt(b, mtimeNs, 10)
	if hasID {
		b = append(b, "-i"...)
		b = strconv.AppendUint(b, id, 10)
	}
	return b
}
