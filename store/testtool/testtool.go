// Package testtool lets a test use a program from outside Go (pdftotext,
// ssh-keygen, systemd-analyze...) that .ci/run installs. On a machine
// with only Go, such a test skips and says what to install; in CI it must
// run, so a missing program fails it there.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI: the CI environment variable is
// set (CI systems set CI=true; .ci/run sets it too).
func InCI() bool { return os.Getenv("CI") != "" }

// Unavailable ends a test that cannot run here for the reason given (it
// needs root, an account, a program): it fails in CI, which provides
// everything the tests need, and is skipped elsewhere.
func Unavailable(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI must run this test, but %s", reason)
	}
	t.Skipf("skipped: %s (CI provides it and runs this test)", reason)
}

// Require returns the path of the program name, which the Debian package
// pkg provides. If it is not on PATH, t fails in CI (see InCI) and is
// skipped elsewhere, in both cases saying what to install.
func Require(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if InCI() {
		t.Fatalf("%s is needed and CI must run this test: .ci/run installs it (apt-get install %s): %v", name, pkg, err)
	}
	t.Skipf("skipped: %s is not installed (apt-get install %s; CI installs it and runs this test)", name, pkg)
	return ""
}

// Optional returns the path of the program name (from the Debian package
// pkg) and true if it is on PATH. If it is not, t fails in CI and
// elsewhere logs what it leaves unchecked and returns false, so that a test
// can go on with its other checks.
func Optional(t testing.TB, name, pkg string) (string, bool) {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p, true
	}
	if InCI() {
		t.Fatalf("%s is needed and CI must run this check: .ci/run installs it (apt-get install %s): %v", name, pkg, err)
	}
	t.Logf("not checked: %s is not installed (apt-get install %s; CI installs it and checks this)", name, pkg)
	return "", false
}
