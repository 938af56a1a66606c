package googletest

import (
	"net/http"
	"slices"
	"strings"
)

// The Admin SDK Directory API: users.list (customer=my_customer, query
// orgUnitPath='…', which matches the unit and every unit below it, as
// Google's does), users.get, members.list (a group's direct members,
// users and nested groups) and orgunits.get (by path or "id:…").

func init() {
	handle("GET /admin/directory/v1/users", (*Server).usersList)
	handle("GET /admin/directory/v1/users/{userKey}", (*Server).usersGet)
	handle("GET /admin/directory/v1/groups/{groupKey}/members", (*Server).membersList)
	handle("GET /admin/directory/v1/customer/{customerId}/orgunits/{orgUnitPath...}", (*Server).orgUnitsGet)
}

func userJSON(u *User) map[string]any {
	local, _, _ := strings.Cut(u.Email, "@")
	return map[string]any{
		"kind": "admin#directory#user", "id": idOf(u.Email), "primaryEmail": u.Email,
		"name":        map[string]any{"fullName": local, "givenName": local, "familyName": local},
		"orgUnitPath": u.OrgUnit, "suspended": u.Suspended, "isAdmin": false,
	}
}

// idOf is a stable numeric-looking id for an email.
func idOf(email string) string {
	var h uint64 = 1469598103934665603
	for _, c := range strings.ToLower(email) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return uitoa(h)
}

func uitoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		if v /= 10; v == 0 {
			return string(b[i:])
		}
	}
}

func (s *Server) usersList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, ScopeUsers); !ok {
		return
	}
	q := r.URL.Query()
	if c := q.Get("customer"); c != "my_customer" {
		writeError(w, http.StatusBadRequest, "badRequest", "Bad Request")
		return
	}
	ou := ""
	if query := q.Get("query"); query != "" {
		v, ok := strings.CutPrefix(query, "orgUnitPath=")
		if !ok {
			writeError(w, http.StatusBadRequest, "invalid", "Invalid Input")
			return
		}
		ou = strings.Trim(v, "'\"")
	}
	s.mu.Lock()
	if _, known := s.orgUnits[ou]; ou != "" && !known {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "invalid", "Invalid Input: INVALID_OU_ID")
		return
	}
	var us []*User
	for _, u := range s.users {
		if ou == "" || ou == "/" || u.OrgUnit == ou || strings.HasPrefix(u.OrgUnit, ou+"/") {
			us = append(us, u)
		}
	}
	slices.SortFunc(us, func(a, b *User) int { return strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email)) })
	lo, hi, next, ok := pageOf(w, r, len(us), "maxResults", 100, 500)
	if !ok {
		s.mu.Unlock()
		return
	}
	page := []any{}
	for _, u := range us[lo:hi] {
		page = append(page, userJSON(u))
	}
	s.mu.Unlock()
	body := map[string]any{"kind": "admin#directory#users", "users": page}
	if next != "" {
		body["nextPageToken"] = next
	}
	replyJSON(w, body)
}

func (s *Server) usersGet(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, ScopeUsers); !ok {
		return
	}
	s.mu.Lock()
	u := s.users[strings.ToLower(r.PathValue("userKey"))]
	var body map[string]any
	if u != nil {
		body = userJSON(u)
	}
	s.mu.Unlock()
	if u == nil {
		writeError(w, http.StatusNotFound, "notFound", "Resource Not Found: userKey")
		return
	}
	replyJSON(w, body)
}

func (s *Server) membersList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, ScopeMembers); !ok {
		return
	}
	g := strings.ToLower(r.PathValue("groupKey"))
	s.mu.Lock()
	nested, known := s.groups[g]
	if !known {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "notFound", "Resource Not Found: groupKey")
		return
	}
	var members []map[string]any
	for _, u := range s.users {
		if slices.ContainsFunc(u.Groups, func(x string) bool { return strings.EqualFold(x, g) }) {
			status := "ACTIVE"
			if u.Suspended {
				status = "SUSPENDED"
			}
			members = append(members, map[string]any{"kind": "admin#directory#member", "id": idOf(u.Email),
				"email": u.Email, "role": "MEMBER", "type": "USER", "status": status})
		}
	}
	for _, n := range nested {
		members = append(members, map[string]any{"kind": "admin#directory#member", "id": idOf(n),
			"email": n, "role": "MEMBER", "type": "GROUP", "status": "ACTIVE"})
	}
	slices.SortFunc(members, func(a, b map[string]any) int {
		return strings.Compare(strings.ToLower(a["email"].(string)), strings.ToLower(b["email"].(string)))
	})
	s.mu.Unlock()
	lo, hi, next, ok := pageOf(w, r, len(members), "maxResults", 200, 200)
	if !ok {
		return
	}
	page := []any{}
	for _, m := range members[lo:hi] {
		page = append(page, m)
	}
	body := map[string]any{"kind": "admin#directory#members", "members": page}
	if next != "" {
		body["nextPageToken"] = next
	}
	replyJSON(w, body)
}

func (s *Server) orgUnitsGet(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, ScopeOrgUnits); !ok {
		return
	}
	key := r.PathValue("orgUnitPath")
	s.mu.Lock()
	defer s.mu.Unlock()
	for path, id := range s.orgUnits {
		if key == id || "/"+strings.TrimPrefix(key, "/") == path {
			name := path[strings.LastIndex(path, "/")+1:]
			parent := path[:strings.LastIndex(path, "/")]
			if parent == "" {
				parent = "/"
			}
			replyJSON(w, map[string]any{"kind": "admin#directory#orgUnit", "name": name, "orgUnitPath": path,
				"orgUnitId": id, "parentOrgUnitPath": parent})
			return
		}
	}
	writeError(w, http.StatusNotFound, "notFound", "Org unit not found")
}
