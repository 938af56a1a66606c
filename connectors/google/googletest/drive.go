package googletest

// Drive is one user's My Drive or a shared drive (owner: G3).
type Drive struct{}
