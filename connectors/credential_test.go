package connectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCredential(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key.json"), []byte("file secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	credDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(credDir, "google-key"), []byte("systemd secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", credDir)
	t.Setenv("RETENTIOND_TEST_SECRET", "env secret")
	for _, tc := range []struct {
		file, env, cred string
		want, where     string
		err             string
	}{
		{file: "key.json", want: "file secret", where: filepath.Join(dir, "key.json")},
		{file: filepath.Join(dir, "key.json"), want: "file secret", where: filepath.Join(dir, "key.json")},
		{env: "RETENTIOND_TEST_SECRET", want: "env secret", where: "$RETENTIOND_TEST_SECRET"},
		{cred: "google-key", want: "systemd secret", where: filepath.Join(credDir, "google-key")},
		{file: "nope.json", err: "read credential file"},
		{env: "RETENTIOND_TEST_UNSET", err: "environment variable RETENTIOND_TEST_UNSET is not set"},
		{cred: "nope", err: "read systemd credential"},
		{err: "no credential given"},
	} {
		b, where, err := ReadCredential(dir, tc.file, tc.env, tc.cred)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc, err, tc.err)
			}
			continue
		}
		if err != nil || string(b) != tc.want || where != tc.where {
			t.Errorf("%+v: %q from %q, %v", tc, b, where, err)
		}
	}
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	if _, _, err := ReadCredential(dir, "", "", "google-key"); err == nil || !strings.Contains(err.Error(), "LoadCredential=google-key") {
		t.Errorf("without $CREDENTIALS_DIRECTORY: %v", err)
	}
}
