package google

// gmailService lists, checks and deletes Gmail messages (owner: G2).
type gmailService struct {
	c *Connector
}
