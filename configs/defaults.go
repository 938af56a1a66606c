package configs

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed policies/*.yaml
var defaultPolicies embed.FS

// DefaultPolicyNames lists the shipped policy files, e.g. "fileshare.yaml".
func DefaultPolicyNames() []string {
	entries, err := fs.ReadDir(defaultPolicies, "policies")
	if err != nil {
		panic(err) // embedded at build time
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// DefaultPolicy returns the text of a shipped policy file.
func DefaultPolicy(name string) ([]byte, error) {
	b, err := defaultPolicies.ReadFile("policies/" + name)
	if err != nil {
		return nil, fmt.Errorf("no default policy %q (have %v)", name, DefaultPolicyNames())
	}
	return b, nil
}
