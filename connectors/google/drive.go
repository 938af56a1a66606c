package google

// driveService lists, checks and deletes Drive files (owner: G3).
type driveService struct {
	c *Connector
}
