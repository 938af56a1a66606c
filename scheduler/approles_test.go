package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// TestAppRolesReplaceConfiguredRoles: a person acting under an identity
// whose provider gave them roles at sign-in (Entra app roles) holds those
// roles and no others, for every decision the Pipeline checks; an identity
// of someone else, or without app roles, changes nothing.
func TestAppRolesReplaceConfiguredRoles(t *testing.T) {
	e := newEnv(t)
	e.put("old/a.txt", 40*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	bg := context.Background()
	as := func(person string, roles ...string) context.Context {
		return WithIdentity(bg, Identity{Method: "oidc", Subject: e.p.Refs.Ref("oidc:https://login.example", person), Person: person, AppRoles: true, Roles: roles})
	}

	// anna is an approver in the configuration; her token says auditor.
	if _, _, err := e.p.Approve(as("anna", configs.RoleAuditor), b.ID, "anna", ""); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("approved without the approver app role: %v", err)
	}
	if _, err := e.p.Reject(as("anna"), b.ID, "anna", DecisionOptions{Reason: "x"}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("rejected with no app role: %v", err)
	}
	if w, err := e.p.WaitingFor(as("anna", configs.RoleAuditor), "anna"); err != nil || len(w) != 0 {
		t.Fatalf("waiting for an auditor: %v %v", w, err)
	}
	// it is an operator in the configuration; a token without the
	// operator role may not hold anything.
	if _, err := e.p.AddHold(as("it", configs.RoleApprover), "it", HoldSpec{Source: "src", Path: "old/a.txt", Reason: "case"}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("held without the operator app role: %v", err)
	}
	if _, err := e.p.Authorize(as("it"), "it", configs.RoleOperator); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("authorized as operator with no app role: %v", err)
	}
	// bo's token grants operator on top of nothing configured as such.
	if who, err := e.p.Authorize(as("bo", configs.RoleOperator), "bo", configs.RoleOperator); err != nil || who.ID != "bo" {
		t.Fatalf("bo with the operator app role: %v", err)
	}
	// An identity of another person does not lend its roles.
	if _, err := e.p.Authorize(as("bo", configs.RoleOperator), "anna", configs.RoleOperator); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("anna acted with bo's app roles: %v", err)
	}
	// Without app roles (a link, the command line) the configuration's
	// roles apply.
	link := WithIdentity(bg, Identity{Method: "link", Person: "anna"})
	got, _, err := e.p.Approve(as("anna", configs.RoleApprover), b.ID, "anna", "")
	if err != nil || got.Status != store.StatusApproved {
		t.Fatalf("approve with the approver app role: %v %+v", err, got)
	}
	if _, err := e.p.Authorize(link, "anna", configs.RoleApprover); err != nil {
		t.Fatalf("a link sign-in keeps the configured roles: %v", err)
	}
	var last ledger.Entry
	for _, x := range e.entries() {
		if x.Type == ledger.TypeApproval {
			last = x
		}
	}
	if last.Actor != "anna" || last.Auth != "oidc" || last.Role != configs.RoleApprover {
		t.Fatalf("approval entry %+v", last)
	}
}
