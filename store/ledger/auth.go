package ledger

import "slices"

// VerifiedAuth are the authentication methods (AuthMethods) that verify
// who acted: the operating-system account, an OpenID Connect sign-in, a
// one-time link issued for the person. The others take the person id on
// the command line's word.
var VerifiedAuth = []string{"os_user", "oidc", "link"}

// Verified reports whether auth (an Entry.Auth) verified who acted.
func Verified(auth string) bool { return slices.Contains(VerifiedAuth, auth) }

// Decision reports whether e records a decision a person took, whose
// authentication (Entry.Auth) says how that person was known: an approval
// or a rejection by a person, the exclusion of an item, the confirmation
// of a guarded batch, a hold placed or released, a retention decision
// revoked. The retention_decision a rejection writes beside its rejection
// entry is part of that rejection and not counted again; automatic
// approvals and superseding rejections name no person and are not
// decisions.
func Decision(e *Entry) bool {
	if e.Actor == "" {
		return false
	}
	switch e.Type {
	case TypeApproval, TypeRejection, TypeConfirmation, TypeHoldAdded, TypeHoldReleased, TypeDecisionRevoked:
		return true
	case TypeRetentionDecision:
		return e.Code == "excluded"
	}
	return false
}
