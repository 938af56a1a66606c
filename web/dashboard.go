package web

import "net/http"

// dashboardRoutes registers the DPO's and auditors' pages.
func (s *Server) dashboardRoutes(mux *http.ServeMux) {}

// dashboardWords are the dashboard's and ledger pages' words (merged into catalog).
var dashboardWords = map[string]map[string]string{"da": {}, "sv": {}, "en": {}}
