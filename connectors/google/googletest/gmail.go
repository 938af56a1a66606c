package googletest

// Mailbox is one user's Gmail (owner: G2).
type Mailbox struct{}
