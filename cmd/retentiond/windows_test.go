//go:build !windows

package main

import (
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWindowsBuild cross-compiles retentiond.exe and vets the whole tree
// for Windows, where the service code lives behind _windows.go files that
// no other test on this machine compiles. (Debian's wine 8.0 cannot run
// the result: Go's runtime needs ProcessPrng from bcryptprimitives.dll,
// which wine only has from 9.0.)
func TestWindowsBuild(t *testing.T) {
	env := append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	exe := filepath.Join(t.TempDir(), "retentiond.exe")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Env = env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go build: %v\n%s", err, out)
	}
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatalf("retentiond.exe is not a Windows executable: %v", err)
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_CUI {
		t.Fatalf("retentiond.exe: machine %#x, want a 64-bit console program", f.Machine)
	}
	syms := map[string]bool{}
	for _, s := range f.Symbols {
		syms[s.Name] = true
	}
	for _, want := range []string{
		"github.com/retentiond/retentiond/scheduler/winsvc.InstallService",
		"github.com/retentiond/retentiond/scheduler/winsvc.(*handler).Execute",
		"golang.org/x/sys/windows/svc.Run",
	} {
		if !syms[want] {
			t.Errorf("retentiond.exe lacks %s", want)
		}
	}
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = filepath.Join("..", "..")
	vet.Env = env
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go vet ./...: %v\n%s", err, out)
	}
}

// TestServiceCommandOutsideWindows: the service command says where the
// Linux service is instead of failing obscurely.
func TestServiceCommandOutsideWindows(t *testing.T) {
	_, err := run(t, "service", "install")
	if err == nil || !strings.Contains(err.Error(), "deploy/systemd/retentiond.service") {
		t.Fatalf("service install on Linux: %v", err)
	}
}
