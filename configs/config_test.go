package configs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/connectors"
)

type testOptions struct {
	Root string `yaml:"root"`
}

func (o *testOptions) Validate() error {
	if !strings.HasPrefix(o.Root, "/") {
		return errors.New("root must be absolute")
	}
	return nil
}

func testRegistry() *connectors.Registry {
	return connectors.NewRegistry(connectors.Kind{
		Name:      "testkind",
		NewConfig: func() any { return &testOptions{} },
		Open: func(context.Context, connectors.Env, any) (connectors.Connector, error) {
			return nil, errors.New("not opened in these tests")
		},
	})
}

func TestGoodConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(`version: 1
id: p
rules:
  - {id: R, type: delete_after, path: "x/**", from: item.modified, keep: P1D, approval: [{group: leaders, count: 1}]}
`), 0o644)
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte(`version: 1
database: data/r.db
ledger: {origin: example.invalid/ledger}
policies: [p.yaml]
people: [{id: anna, roles: [approver], groups: [leaders]}]
sources: [{name: s, kind: testkind, schedule: "0 2 * * *", options: {root: /srv}}]
`), 0o644)
	c, err := Load(file, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if c.Database != filepath.Join(dir, "data", "r.db") || c.Keys.Signing != filepath.Join(dir, "keys", "ledger.key") {
		t.Errorf("paths not resolved against the config: %q %q", c.Database, c.Keys.Signing)
	}
	if c.Location.String() != "Europe/Copenhagen" || c.ExecuteSchedule != DefaultExecuteSchedule {
		t.Errorf("defaults: %v %q", c.Location, c.ExecuteSchedule)
	}
	if src, ok := c.Source("s"); !ok || src.Options.(*testOptions).Root != "/srv" {
		t.Errorf("source options: %+v", src)
	}
	if c.Policies.Rule("R") == nil || len(c.GroupMembers("leaders")) != 1 {
		t.Error("policies or groups missing")
	}
}

func TestBadConfigs(t *testing.T) {
	for file, want := range readCorpus(t, "bad-configs") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, err := Load(file, testRegistry())
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, want)
			}
		})
	}
}

func TestMissingConfigNamesNextStep(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), testRegistry())
	if err == nil || !strings.Contains(err.Error(), "retentiond demo") {
		t.Fatalf("%v", err)
	}
}
