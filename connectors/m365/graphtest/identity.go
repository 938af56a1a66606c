package graphtest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"time"
)

// AddCertificate registers a certificate (DER) of the app registration, as
// an administrator uploads one in Entra ID; the token endpoint then accepts
// client assertions signed with its key.
func (s *Server) AddCertificate(der []byte) {
	sum := sha256.Sum256(der)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.certs[base64.StdEncoding.EncodeToString(sum[:])] = der
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// serveIdentity answers the Microsoft identity platform's tenant discovery
// and token requests for the client-credentials flow.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 {
		http.NotFound(w, r)
		return
	}
	tenant := parts[0]
	if tenant != s.Tenant {
		write(w, aadError(http.StatusBadRequest, "invalid_request", 90002,
			"AADSTS90002: Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."))
		return
	}
	switch rest := strings.Join(parts[1:], "/"); rest {
	case "v2.0/.well-known/openid-configuration":
		base := s.URL + "/" + tenant
		write(w, jsonResponse(http.StatusOK, map[string]any{
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"issuer":                                "https://login.microsoftonline.com/" + tenant + "/v2.0",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
			"tenant_region_scope":                   "EU",
		}))
	case "oauth2/v2.0/token":
		s.tokenRequests.Add(1)
		write(w, s.token(r))
	default:
		http.NotFound(w, r)
	}
}

func aadError(status int, code string, number int, desc string) response {
	return jsonResponse(status, map[string]any{
		"error":             code,
		"error_description": desc,
		"error_codes":       []int{number},
		"timestamp":         time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id":          randUUID(),
		"correlation_id":    randUUID(),
	})
}

func (s *Server) token(r *http.Request) response {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		return aadError(http.StatusBadRequest, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type.")
	}
	if r.PostForm.Get("client_id") != s.ClientID {
		return aadError(http.StatusBadRequest, "unauthorized_client", 700016,
			"AADSTS700016: Application with identifier '"+r.PostForm.Get("client_id")+"' was not found in the directory.")
	}
	// MSAL adds "openid offline_access profile" to the requested scope.
	if scope := r.PostForm.Get("scope"); !slices.Contains(strings.Fields(scope), "https://graph.microsoft.com/.default") {
		return aadError(http.StatusBadRequest, "invalid_scope", 1002012, "AADSTS1002012: The provided value for scope "+scope+" is not valid.")
	}
	switch {
	case r.PostForm.Has("client_secret"):
		if r.PostForm.Get("client_secret") != s.Secret {
			return aadError(http.StatusUnauthorized, "invalid_client", 7000215,
				"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
		}
	case r.PostForm.Has("client_assertion"):
		if !s.validAssertion(r.PostForm.Get("client_assertion"), s.URL+"/"+s.Tenant+"/oauth2/v2.0/token") {
			return aadError(http.StatusUnauthorized, "invalid_client", 700027,
				"AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.")
		}
	default:
		return aadError(http.StatusUnauthorized, "invalid_client", 7000218,
			"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	}
	tok := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + randHex(24)
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(time.Hour)
	s.mu.Unlock()
	return jsonResponse(http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok,
	})
}

// validAssertion checks a client assertion as Entra ID does: a JWT signed
// PS256 (or RS256) by a registered certificate named by its thumbprint,
// for this token endpoint, issued by and about the client, not expired.
func (s *Server) validAssertion(jwt, aud string) bool {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return false
	}
	var hdr struct {
		Alg     string `json:"alg"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string `json:"aud"`
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if !decodeSegment(parts[0], &hdr) || !decodeSegment(parts[1], &claims) {
		return false
	}
	s.mu.Lock()
	der := s.certs[hdr.X5tS256]
	s.mu.Unlock()
	if der == nil {
		return false
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return false
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch hdr.Alg {
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, nil)
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		return false
	}
	return err == nil && claims.Aud == aud && claims.Iss == s.ClientID && claims.Sub == s.ClientID &&
		time.Unix(claims.Exp, 0).After(time.Now())
}

func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}
