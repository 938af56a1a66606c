// Package windows holds the Windows installer; its test builds the MSI
// with wixl and reads it back with msitools, as a packager would.
package windows

import (
	"bytes"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/fileshare"
)

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("RETENTIOND_REQUIRE_WIXL") != "" {
				t.Fatalf("%s is not installed (apt-get install wixl msitools)", tool)
			}
			t.Skipf("%s is not installed (apt-get install wixl msitools); the MSI is not built", tool)
		}
	}
}

// table returns the rows of an MSI table, each a tab-separated line,
// without the three header lines msiinfo prints.
func table(t *testing.T, msi, name string) []string {
	t.Helper()
	out, err := exec.Command("msiinfo", "export", msi, name).Output()
	if err != nil {
		t.Fatalf("msiinfo export %s: %v", name, err)
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("table %s: %q", name, out)
	}
	return lines[3:]
}

func TestMSI(t *testing.T) {
	need(t, "wixl", "msiinfo", "msiextract")
	out := t.TempDir()
	build := exec.Command("bash", "build.sh", out)
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	msis, _ := filepath.Glob(filepath.Join(out, "retentiond-0.1.*-x64.msi"))
	if len(msis) != 1 {
		t.Fatalf("build.sh made %v", msis)
	}
	msi := msis[0]

	// What goes where: the binary in Program Files; the starting
	// configuration and every default policy in %ProgramData%.
	dirs := table(t, msi, "Directory")
	for _, want := range []string{"INSTALLDIR\tProgramFiles64Folder\tretentiond", "DATADIR\tCommonAppDataFolder\tretentiond", "POLICYDIR\tDATADIR\tpolicies"} {
		if !slices.Contains(dirs, want) {
			t.Errorf("Directory table lacks %q: %q", want, dirs)
		}
	}
	var files []string
	for _, row := range table(t, msi, "File") {
		f := strings.Split(row, "\t")
		files = append(files, f[1]+"/"+f[2])
	}
	want := []string{"Binary/retentiond.exe", "Example/retentiond.yaml.example"}
	policies, _ := filepath.Glob(filepath.Join("..", "..", "configs", "policies", "*.yaml"))
	for _, p := range policies {
		want = append(want, "Policies/"+filepath.Base(p))
	}
	slices.Sort(files)
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Errorf("files in the MSI:\n%q\nwant (every default policy, listed in retentiond.wxs):\n%q", files, want)
	}
	// Uninstalling stops and removes the service (event 2|32|128: stop
	// on install and uninstall, delete on uninstall), if it is installed.
	if sc := table(t, msi, "ServiceControl"); len(sc) != 1 || !strings.HasPrefix(sc[0], "StopAndRemove\tretentiond\t162\t") {
		t.Errorf("ServiceControl: %q", sc)
	}
	info, err := exec.Command("msiinfo", "suminfo", msi).Output()
	if err != nil || !strings.Contains(string(info), "x64;1033") {
		t.Errorf("summary information (want a 64-bit package): %s %v", info, err)
	}

	// The files themselves.
	x := t.TempDir()
	ex := exec.Command("msiextract", "-C", x, msi)
	if b, err := ex.CombinedOutput(); err != nil {
		t.Fatalf("msiextract: %v\n%s", err, b)
	}
	find := func(name string) string {
		t.Helper()
		var found string
		filepath.WalkDir(x, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == name {
				found = p
			}
			return nil
		})
		if found == "" {
			t.Fatalf("%s is not in the extracted MSI", name)
		}
		return found
	}
	f, err := pe.Open(find("retentiond.exe"))
	if err != nil {
		t.Fatalf("retentiond.exe: %v", err)
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("retentiond.exe is for machine %#x", f.Machine)
	}
	f.Close()

	// The starting configuration, as an administrator copies it: with the
	// policies beside it, it loads (paths relative to its folder).
	data := t.TempDir()
	os.Mkdir(filepath.Join(data, "policies"), 0o755)
	for _, p := range policies {
		b, _ := os.ReadFile(find(filepath.Base(p)))
		orig, _ := os.ReadFile(p)
		if !bytes.Equal(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), orig) {
			t.Errorf("%s in the MSI differs from configs/policies", filepath.Base(p))
		}
		os.WriteFile(filepath.Join(data, "policies", filepath.Base(p)), b, 0o644)
	}
	example, _ := os.ReadFile(find("retentiond.yaml.example"))
	if !bytes.Contains(example, []byte("\r\n")) {
		t.Error("retentiond.yaml.example has Unix line ends: Notepad users see one long line")
	}
	cfgFile := filepath.Join(data, "retentiond.yaml")
	os.WriteFile(cfgFile, example, 0o644)
	cfg, err := configs.Load(cfgFile, connectors.NewRegistry(fileshare.Kind()))
	if err != nil {
		t.Fatalf("the starting configuration does not load: %v", err)
	}
	if cfg.Database != filepath.Join(data, "retentiond.db") || cfg.Keys.Signing != filepath.Join(data, "keys", "ledger.key") {
		t.Errorf("database %s, signing key %s: want them in the data folder", cfg.Database, cfg.Keys.Signing)
	}
}
