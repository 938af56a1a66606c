package ledger

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// errSlowPath makes Parse fall back to encoding/json, which then says
// precisely what is wrong with bytes the fast parser does not accept.
var errSlowPath = errors.New("not in the fast parser's form")

// parseFast decodes bytes laid out as Marshal lays them out: the members in
// the order of the struct fields, no whitespace. It accepts a superset of
// canonical encodings only in its string escapes; Parse re-marshals what it
// returns and compares, so the result is exact. Anything else is
// errSlowPath.
func parseFast(b []byte) (Entry, error) {
	p := fastParser{b: b}
	var e Entry
	if !p.lit(`{"type":`) {
		return e, errSlowPath
	}
	e.Type = Type(p.str())
	if !p.lit(`,"time":`) {
		return e, errSlowPath
	}
	start := p.i
	p.str()
	if p.bad || e.Time.UnmarshalJSON(p.b[start:p.i]) != nil {
		return e, errSlowPath
	}
	p.optStr("source", &e.Source)
	p.optStr("source_kind", &e.SourceKind)
	p.optStr("item", &e.Item)
	p.optStr("container", &e.Container)
	p.optStr("subject", &e.Subject)
	p.optInt("size", &e.Size)
	p.optStr("policy", &e.Policy)
	p.optStr("policy_digest", &e.PolicyDigest)
	p.optStr("rule", &e.Rule)
	p.optStr("period", &e.Period)
	p.optStr("basis", &e.Basis)
	p.optStr("anchor", &e.Anchor)
	p.optStr("due", &e.Due)
	p.optInt("batch", &e.Batch)
	p.optStr("plan", &e.Plan)
	p.optInt("items", &e.Items)
	p.optStr("actor", &e.Actor)
	p.optStr("role", &e.Role)
	var stage int64
	p.optInt("stage", &stage)
	e.Stage = int(stage)
	if int64(e.Stage) != stage {
		return e, errSlowPath
	}
	if p.key("approvals") {
		if !p.lit("[") {
			return e, errSlowPath
		}
		for {
			e.Approvals = append(e.Approvals, p.str())
			if p.lit("]") || p.bad {
				break
			}
			if !p.lit(",") {
				return e, errSlowPath
			}
		}
	}
	p.optStr("outcome", &e.Outcome)
	p.optStr("code", &e.Code)
	p.optStr("method", &e.Method)
	if p.key("verified") {
		if !p.lit("true") {
			return e, errSlowPath
		}
		e.Verified = true
	}
	p.optStr("host", &e.Host)
	p.optStr("software", &e.Software)
	p.optStr("hold", &e.Hold)
	p.optStr("reason", &e.Reason)
	p.optStr("text", &e.Text)
	p.optStr("key", &e.Key)
	if p.bad || !p.lit("}") || p.i != len(p.b) {
		return e, errSlowPath
	}
	return e, nil
}

type fastParser struct {
	b   []byte
	i   int
	bad bool
}

func (p *fastParser) lit(s string) bool {
	if p.bad || !bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		return false
	}
	p.i += len(s)
	return true
}

// key consumes `,"k":` if it comes next.
func (p *fastParser) key(k string) bool {
	r := p.b[p.i:]
	if p.bad || len(r) < len(k)+4 || r[0] != ',' || r[1] != '"' || string(r[2:2+len(k)]) != k || r[2+len(k)] != '"' || r[3+len(k)] != ':' {
		return false
	}
	p.i += len(k) + 4
	return true
}

func (p *fastParser) optStr(k string, dst *string) {
	if p.key(k) {
		*dst = p.str()
	}
}

func (p *fastParser) optInt(k string, dst *int64) {
	if !p.key(k) {
		return
	}
	j := p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(p.b[p.i:j]), 10, 64)
	if err != nil {
		p.bad = true
		return
	}
	*dst, p.i = n, j
}

// str decodes a JSON string.
func (p *fastParser) str() string {
	if p.bad || p.i >= len(p.b) || p.b[p.i] != '"' {
		p.bad = true
		return ""
	}
	p.i++
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := string(p.b[start:p.i])
			p.i++
			return s
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.bad = true
			return ""
		}
		p.i++
	}
	// Escapes: decode the rest byte by byte.
	out := append([]byte(nil), p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out)
		case c < 0x20:
			p.bad = true
			return ""
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			break
		}
		esc := p.b[p.i+1]
		p.i += 2
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				p.bad = true
				return ""
			}
			if utf16.IsSurrogate(r) {
				if !p.lit(`\u`) {
					p.bad = true
					return ""
				}
				r2, ok := p.hex4()
				if !ok {
					p.bad = true
					return ""
				}
				r = utf16.DecodeRune(r, r2)
			}
			out = utf8.AppendRune(out, r)
		default:
			p.bad = true
			return ""
		}
	}
	p.bad = true
	return ""
}

func (p *fastParser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}
