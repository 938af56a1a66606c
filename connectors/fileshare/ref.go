package fileshare

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/retentiond/retentiond/connectors"
)

// ValidRef reports whether ref is a ref this connector could have produced:
// a non-empty, relative, slash-separated path without empty, "." or ".."
// segments, a trailing slash, backslashes or NUL bytes, which is also a
// local path on the running system (on Windows this refuses, for example,
// "a:b" and reserved names such as "NUL"). Such a ref is unchanged by
// path.Clean. The error has CodeInvalid.
func ValidRef(ref string) error {
	if err := checkRef(ref); err != nil {
		return connectors.Errorf(connectors.CodeInvalid, "check ref", ref, err)
	}
	return nil
}

// checkRef is ValidRef with an unclassified error, for callers that wrap it
// in their own operation.
func checkRef(ref string) error {
	switch {
	case ref == "":
		return errors.New("ref is empty")
	case strings.IndexByte(ref, 0) >= 0:
		return errors.New("ref contains a NUL byte")
	case strings.IndexByte(ref, '\\') >= 0:
		return errors.New("ref contains a backslash: refs separate folders with '/'")
	case ref[0] == '/':
		return errors.New("ref is absolute: refs are relative to the root")
	case ref[len(ref)-1] == '/':
		return errors.New("ref ends with a slash")
	}
	for seg := range strings.SplitSeq(ref, "/") {
		switch seg {
		case "":
			return errors.New("ref has an empty path segment")
		case ".", "..":
			return errors.New("ref has a '.' or '..' segment")
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(ref)) {
		return errors.New("ref is not a local path on this system")
	}
	return nil
}

// joinRef returns the ref of name inside the folder with ref dir.
func joinRef(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// splitRef splits a valid ref into its folder's ref ("" at the top) and
// its base name.
func splitRef(ref string) (dir, name string) {
	i := strings.LastIndexByte(ref, '/')
	if i < 0 {
		return "", ref
	}
	return ref[:i], ref[i+1:]
}

// inside reports whether the valid ref lies strictly inside the folder
// with ref dir ("" is the root).
func inside(ref, dir string) bool {
	if dir == "" {
		return ref != ""
	}
	return len(ref) > len(dir) && ref[len(dir)] == '/' && strings.HasPrefix(ref, dir)
}
