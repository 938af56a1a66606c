package m365

import "testing"

// TestStableRef: a message's ref (its immutable id) is stable; anything
// this connector could not have produced is not.
func TestStableRef(t *testing.T) {
	c := &Connector{}
	for ref, want := range map[string]bool{
		"anna@skole.dk/AAMkAGI2TG93AAA=": true,
		"anna@skole.dk":                  false,
		"Anna@skole.dk/AAMk":             false,
		"anna@skole.dk/a/b":              false,
		"":                               false,
	} {
		if got := c.StableRef(ref); got != want {
			t.Errorf("StableRef(%q) = %v, want %v", ref, got, want)
		}
	}
}
