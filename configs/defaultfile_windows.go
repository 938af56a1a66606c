//go:build windows

package configs

import (
	"os"
	"path/filepath"
)

// DefaultFile is the configuration file the command line reads without
// --config (or RETENTIOND_CONFIG): retentiond.yaml in the current
// directory when there is one (a demo sandbox), otherwise the service's,
// %ProgramData%\retentiond\retentiond.yaml.
func DefaultFile() string {
	if _, err := os.Stat("retentiond.yaml"); err == nil {
		return "retentiond.yaml"
	}
	pd := os.Getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	return filepath.Join(pd, "retentiond", "retentiond.yaml")
}
