package configs

import (
	"path/filepath"
	"runtime"
	"strings"
)

// IsDefaultFile reports whether file (absolute, as Config.File) is the
// configuration the command line reads without --config: DefaultFile,
// resolved against the current directory. Commands written for people to
// run (in mails) name --config unless it is; RETENTIOND_CONFIG does not
// count, since the person who runs them may not have it set.
func IsDefaultFile(file string) bool {
	def, err := filepath.Abs(DefaultFile())
	if err != nil {
		return false
	}
	file = filepath.Clean(file)
	if runtime.GOOS == "windows" {
		return strings.EqualFold(def, file)
	}
	return def == file
}
