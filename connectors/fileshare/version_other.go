//go:build !unix

package fileshare

import "io/fs"

// fileID is empty where os.FileInfo carries no file identity (Windows):
// the version is then size and modification time.
func fileID(fs.FileInfo) string { return "" }
