package googletest

import (
	"net/http"
	"strings"
	"time"
)

// Google Vault: matters.list and matters.holds.list.

func init() {
	handle("GET /v1/matters", (*Server).mattersList)
	handle("GET /v1/matters/{matterId}/holds", (*Server).holdsList)
}

// Matter is a Vault matter with its holds.
type Matter struct {
	ID    string // set by AddMatter
	Name  string
	State string // "OPEN" (default), "CLOSED", "DELETED"
	Holds []Hold
}

// Hold is a Vault hold on accounts or on an organisational unit.
type Hold struct {
	Name     string
	Corpus   string   // "MAIL", "DRIVE", ...
	Accounts []string // emails; or
	OrgUnit  string   // a path ("/Ansatte"); the hold names its id
	// SharedDriveFiles: a DRIVE hold that includes shared drive files.
	SharedDriveFiles bool
}

// AddMatter adds a matter and returns its id.
func (s *Server) AddMatter(m Matter) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.State == "" {
		m.State = "OPEN"
	}
	m.ID = randHex(8)
	for _, h := range m.Holds {
		if h.OrgUnit != "" {
			s.addOrgUnitLocked(h.OrgUnit)
		}
	}
	s.matters = append(s.matters, &m)
	return m.ID
}

func (s *Server) mattersList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, ScopeEDiscovery, "https://www.googleapis.com/auth/ediscovery"); !ok {
		return
	}
	state := r.URL.Query().Get("state")
	s.mu.Lock()
	var ms []any
	for _, m := range s.matters {
		if state == "" || state == "STATE_UNSPECIFIED" || state == m.State {
			ms = append(ms, map[string]any{"matterId": m.ID, "name": m.Name, "state": m.State})
		}
	}
	s.mu.Unlock()
	lo, hi, next, ok := pageOf(w, r, len(ms), "pageSize", 100, 100)
	if !ok {
		return
	}
	body := map[string]any{"matters": ms[lo:hi]}
	if next != "" {
		body["nextPageToken"] = next
	}
	replyJSON(w, body)
}

func (s *Server) holdsList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, ScopeEDiscovery, "https://www.googleapis.com/auth/ediscovery"); !ok {
		return
	}
	id := r.PathValue("matterId")
	s.mu.Lock()
	var m *Matter
	for _, x := range s.matters {
		if x.ID == id {
			m = x
		}
	}
	if m == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "notFound", "Requested entity was not found.")
		return
	}
	t := s.now().UTC().Format(time.RFC3339Nano)
	var hs []any
	for i, h := range m.Holds {
		hold := map[string]any{"holdId": id + "-" + uitoa(uint64(i)), "name": h.Name, "corpus": h.Corpus, "updateTime": t}
		if h.OrgUnit != "" {
			hold["orgUnit"] = map[string]any{"orgUnitId": strings.TrimPrefix(s.orgUnits[h.OrgUnit], "id:"), "holdTime": t}
		} else {
			var accs []any
			for _, a := range h.Accounts {
				accs = append(accs, map[string]any{"accountId": idOf(a), "email": a, "holdTime": t})
			}
			hold["accounts"] = accs
		}
		if h.Corpus == "DRIVE" {
			hold["query"] = map[string]any{"driveQuery": map[string]any{"includeSharedDriveFiles": h.SharedDriveFiles}}
		}
		hs = append(hs, hold)
	}
	s.mu.Unlock()
	lo, hi, next, ok := pageOf(w, r, len(hs), "pageSize", 100, 100)
	if !ok {
		return
	}
	body := map[string]any{"holds": hs[lo:hi]}
	if next != "" {
		body["nextPageToken"] = next
	}
	replyJSON(w, body)
}
