//go:build !unix

package main

// stateOwner does not check outside Unix: on Windows the service's account and
// the permissions of %ProgramData%\retentiond are set by the installer.
func stateOwner(dir string) (owner, me string, ok bool, err error) { return "", "", true, nil }

// foreignFiles does not check outside Unix.
func foreignFiles(database string, keys ...string) error { return nil }
