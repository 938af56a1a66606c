package web

import "net/http"

// opsRoutes registers the operators' pages.
func (s *Server) opsRoutes(mux *http.ServeMux) {}

// opsWords are the operators' pages' words (merged into catalog).
var opsWords = map[string]map[string]string{"da": {}, "sv": {}, "en": {}}
