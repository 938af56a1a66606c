package google

import "testing"

// TestStableRef: Gmail refs (message ids) are stable; Drive refs are
// paths, where another file may take a deleted one's place.
func TestStableRef(t *testing.T) {
	c := &Connector{}
	for ref, want := range map[string]bool{
		gmailRef("anna@skole.test", "18c2f0a1b2c3d4e5"): true,
		"drive/anna@skole.test/a/x.txt":                 false,
		"shared/0AAbc/x.txt":                            false,
		"gmail/anna@skole.test":                         false,
		"":                                              false,
	} {
		if got := c.StableRef(ref); got != want {
			t.Errorf("StableRef(%q) = %v, want %v", ref, got, want)
		}
	}
}
