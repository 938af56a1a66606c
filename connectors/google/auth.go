package google

// Imported here for the core (G1): the clients it builds.
import (
	_ "golang.org/x/oauth2/google"
	_ "google.golang.org/api/admin/directory/v1"
	_ "google.golang.org/api/option"
	_ "google.golang.org/api/vault/v1"
)
