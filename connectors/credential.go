package connectors

import (
	"fmt"
	"os"
	"path/filepath"
)

// ReadCredential reads a secret a source's options name: a file (file,
// relative to baseDir unless absolute), an environment variable (env), or
// a systemd credential (cred, a name under $CREDENTIALS_DIRECTORY, as
// given to LoadCredential=). The first of file, env, cred that is set
// wins; options validation should make sure exactly one is. It returns the
// secret and where it came from (a path or "$NAME", never the secret), for
// error messages.
func ReadCredential(baseDir, file, env, cred string) ([]byte, string, error) {
	switch {
	case file != "":
		if !filepath.IsAbs(file) {
			file = filepath.Join(baseDir, file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, file, fmt.Errorf("read credential file: %w", err)
		}
		return b, file, nil
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return nil, "$" + env, fmt.Errorf("environment variable %s is not set", env)
		}
		return []byte(v), "$" + env, nil
	case cred != "":
		dir := os.Getenv("CREDENTIALS_DIRECTORY")
		if dir == "" {
			return nil, cred, fmt.Errorf("credential %q: $CREDENTIALS_DIRECTORY is not set (is the service started with LoadCredential=%s:...?)", cred, cred)
		}
		p := filepath.Join(dir, cred)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, p, fmt.Errorf("read systemd credential: %w", err)
		}
		return b, p, nil
	}
	return nil, "", fmt.Errorf("no credential given: name a file, an environment variable or a systemd credential")
}
