package configs

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPeopleOSUsers: os_users are read as given, and an account that is
// blank, padded, listed twice or listed for two people is refused with
// file, line and field.
func TestPeopleOSUsers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "retentiond.yaml")
	policy := abs(t, filepath.Join("testdata", "good-policy.yaml"))
	config := func(people string) []byte {
		return []byte("version: 1\nledger: {origin: skole.example/ledger}\npolicies: [" + policy + "]\n" +
			"people:\n" + people + "sources: [{name: share, kind: testkind, options: {root: /srv}}]\n")
	}
	c, err := Parse(file, config("  - id: anna\n    roles: [approver]\n    groups: [leaders]\n    os_users: [\"SKOLE\\\\anna\", anna]\n  - {id: bo, roles: [operator]}\n"), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	anna, _ := c.Person("anna")
	bo, _ := c.Person("bo")
	if !slices.Equal(anna.OSUsers, []string{`SKOLE\anna`, "anna"}) || bo.OSUsers != nil {
		t.Fatalf("anna's accounts %q, bo's %q", anna.OSUsers, bo.OSUsers)
	}
	for _, c := range []struct{ people, want string }{
		{"  - {id: anna, roles: [approver], groups: [leaders], os_users: [\"\"]}\n", `:5: people[0].os_users[0]: "" is not an account name`},
		{"  - {id: anna, roles: [approver], groups: [leaders], os_users: [\" anna\"]}\n", `:5: people[0].os_users[0]: " anna" is not an account name`},
		{"  - {id: anna, roles: [approver], groups: [leaders], os_users: [anna, ANNA]}\n", `:5: people[0].os_users[1]: "ANNA" is listed twice`},
		{"  - {id: anna, roles: [approver], groups: [leaders], os_users: [anna]}\n  - {id: bo, roles: [approver], groups: [leaders], os_users: [Anna]}\n",
			`:6: people[1].os_users[0]: "Anna" is also an account of anna: one account must be one person`},
		{"  - {id: anna, roles: [approver], groups: [leaders], os_user: [anna]}\n", `os_user`},
	} {
		_, err := Parse(file, config(c.people), testRegistry())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("people\n%s: %v\nwant %s", c.people, err, c.want)
		}
	}
}
