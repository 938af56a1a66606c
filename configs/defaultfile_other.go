//go:build !windows

package configs

// DefaultFile is the configuration file the command line reads without
// --config (or RETENTIOND_CONFIG): retentiond.yaml in the current
// directory.
func DefaultFile() string { return "retentiond.yaml" }
