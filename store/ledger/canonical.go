package ledger

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// parseCanonical decodes b if it is, byte for byte, what Marshal writes
// for some entry it accepts, and reports whether it is. It checks the form
// as it reads, so that such bytes need no second encoding to compare: the
// members in the order of the struct fields and each at most once, no
// zero value written out, no whitespace, strings escaped exactly as
// appendString escapes them, integers as strconv.AppendInt writes them,
// the time as Marshal formats it in UTC, valid UTF-8, and what Entry.check
// demands of the values. For anything else it returns false and Parse
// takes parseGeneral, which says what is wrong; so this function decides
// nothing parseGeneral would decide differently, it only gets there
// sooner (FuzzParseCanonical compares the two).
//
// The strings of the entry share one copy of b.
func parseCanonical(b []byte) (Entry, bool) {
	var e Entry
	p := canonParser{s: string(b)}
	if !p.lit(`{"type":"`) {
		return e, false
	}
	t, ok := p.typ()
	if !ok || !p.lit(`,"time":"`) {
		return e, false
	}
	e.Type = t
	if e.Time, ok = p.time(); !ok {
		return e, false
	}
	ok = p.str(`,"source":`, &e.Source) &&
		p.str(`,"source_kind":`, &e.SourceKind) &&
		p.ref(`,"item":`, &e.Item) &&
		p.ref(`,"container":`, &e.Container) &&
		p.ref(`,"subject":`, &e.Subject) &&
		p.int(`,"size":`, &e.Size) &&
		p.str(`,"policy":`, &e.Policy) &&
		p.str(`,"policy_digest":`, &e.PolicyDigest) &&
		p.str(`,"rule":`, &e.Rule) &&
		p.str(`,"period":`, &e.Period) &&
		p.str(`,"basis":`, &e.Basis) &&
		p.str(`,"anchor":`, &e.Anchor) &&
		p.str(`,"due":`, &e.Due) &&
		p.int(`,"batch":`, &e.Batch) &&
		p.str(`,"plan":`, &e.Plan) &&
		p.int(`,"items":`, &e.Items) &&
		p.str(`,"actor":`, &e.Actor) &&
		p.token(`,"role":`, &e.Role)
	if !ok {
		return e, false
	}
	var stage int64
	if !p.int(`,"stage":`, &stage) {
		return e, false
	}
	if e.Stage = int(stage); int64(e.Stage) != stage {
		return e, false
	}
	if p.lit(`,"approvals":[`) {
		for {
			a, ok := p.quoted()
			if !ok {
				return e, false
			}
			e.Approvals = append(e.Approvals, a)
			if p.lit("]") {
				break
			}
			if !p.lit(",") {
				return e, false
			}
		}
	}
	ok = p.token(`,"outcome":`, &e.Outcome) &&
		p.token(`,"code":`, &e.Code) &&
		p.token(`,"method":`, &e.Method)
	if !ok {
		return e, false
	}
	e.Verified = p.lit(`,"verified":true`)
	ok = p.str(`,"host":`, &e.Host) &&
		p.str(`,"software":`, &e.Software) &&
		p.str(`,"hold":`, &e.Hold) &&
		p.str(`,"instruction":`, &e.Instruction) &&
		p.str(`,"reason":`, &e.Reason) &&
		p.str(`,"text":`, &e.Text) &&
		p.str(`,"key":`, &e.Key) &&
		p.str(`,"until":`, &e.Until) &&
		p.str(`,"decision":`, &e.Decision) &&
		p.token(`,"auth":`, &e.Auth) &&
		p.ref(`,"identity":`, &e.Identity)
	if !ok {
		return e, false
	}
	if p.lit(`,"stages":[`) {
		for {
			a, ok := p.quoted()
			if !ok {
				return e, false
			}
			e.Stages = append(e.Stages, a)
			if p.lit("]") {
				break
			}
			if !p.lit(",") {
				return e, false
			}
		}
	}
	if p.s[p.i:] != "}" {
		return e, false
	}
	return e, true
}

// canonParser reads a canonical entry from s; every method that returns
// false leaves the input to be refused.
type canonParser struct {
	s string
	i int
}

// lit consumes lit if it comes next.
func (p *canonParser) lit(lit string) bool {
	if len(p.s)-p.i < len(lit) || p.s[p.i:p.i+len(lit)] != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// typ reads a known type and its closing quote. Types need no escapes.
func (p *canonParser) typ() (Type, bool) {
	for j := p.i; j < len(p.s); j++ {
		if p.s[j] == '"' {
			t := Type(p.s[p.i:j])
			p.i = j + 1
			return t, knownType(t)
		}
	}
	return "", false
}

// time reads the time as Marshal writes it, RFC 3339 with the fraction's
// trailing zeros trimmed, in UTC, and the closing quote: the time must be
// a real one, and not the zero time.
func (p *canonParser) time() (time.Time, bool) {
	const layout = "0000-00-00T00:00:00" // digits where the zeros are
	s := p.s[p.i:]
	if len(s) < len(layout)+2 {
		return time.Time{}, false
	}
	for k := 0; k < len(layout); k++ {
		if c := s[k]; layout[k] == '0' && (c < '0' || c > '9') || layout[k] != '0' && c != layout[k] {
			return time.Time{}, false
		}
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range []byte(s[from:to]) {
			n = 10*n + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	k, nsec := len(layout), 0
	if s[k] == '.' {
		k++
		digits := 0
		for ; k < len(s) && '0' <= s[k] && s[k] <= '9'; k++ {
			nsec = 10*nsec + int(s[k]-'0')
			digits++
		}
		if digits == 0 || digits > 9 || s[k-1] == '0' {
			return time.Time{}, false
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	if len(s)-k < 2 || s[k] != 'Z' || s[k+1] != '"' {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.IsZero() {
		return time.Time{}, false
	}
	p.i += k + 2
	return t, true
}

// daysIn is the number of days of the month in the proleptic Gregorian
// calendar, as package time counts them.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// str reads the member key with a non-empty string value, if it comes
// next.
func (p *canonParser) str(key string, dst *string) bool {
	if !p.lit(key) {
		return true
	}
	v, ok := p.quoted()
	*dst = v
	return ok && v != ""
}

// ref is str for a value that must be a reference.
func (p *canonParser) ref(key string, dst *string) bool {
	return p.str(key, dst) && (*dst == "" || isRefByTable(*dst))
}

// base64URLValue maps each byte of the base64url alphabet to its value
// plus one, and every other byte to 0.
var base64URLValue = func() (t [256]byte) {
	for i := 0; i < len(base64URL); i++ {
		t[base64URL[i]] = byte(i) + 1
	}
	return t
}()

// isRefByTable is isRef with a table lookup per character of the MAC
// instead of a search of the alphabet; it gives the same answer for every
// string.
func isRefByTable(s string) bool {
	const n = len("h1:") + 8 + len(":") + macLen
	if len(s) != n || s[:3] != "h1:" || s[11] != ':' || !isKeyID(s[3:11]) {
		return false
	}
	for i := 12; i < n; i++ {
		if base64URLValue[s[i]] == 0 {
			return false
		}
	}
	return (base64URLValue[s[n-1]]-1)&3 == 0
}

// token is str for a value that must be an enumerated token.
func (p *canonParser) token(key string, dst *string) bool {
	return p.str(key, dst) && (*dst == "" || isToken(*dst))
}

// int reads the member key with a non-zero integer value, written as
// strconv.AppendInt writes it, if it comes next.
func (p *canonParser) int(key string, dst *int64) bool {
	if !p.lit(key) {
		return true
	}
	j := p.i
	if j < len(p.s) && p.s[j] == '-' {
		j++
	}
	if j == len(p.s) || p.s[j] < '1' || p.s[j] > '9' {
		return false
	}
	for j++; j < len(p.s) && '0' <= p.s[j] && p.s[j] <= '9'; j++ {
	}
	n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	if err != nil {
		return false
	}
	*dst, p.i = n, j
	return true
}

// quoted reads a JSON string escaped exactly as appendString escapes its
// value, which must be valid UTF-8.
func (p *canonParser) quoted() (string, bool) {
	s := p.s
	if p.i == len(s) || s[p.i] != '"' {
		return "", false
	}
	start := p.i + 1
	for j := start; j < len(s); {
		j = plainASCII(s, j)
		if j == len(s) {
			break
		}
		c := s[j]
		switch {
		case c == '"':
			p.i = j + 1
			return s[start:j], true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return "", false
			}
			j += size
		}
	}
	return "", false
}

// plainASCII returns the index of the first byte of s from j on that is a
// control character, '"', '\\' or not ASCII, or len(s). It looks at eight
// bytes at a time: in a word of bytes from 0x20 to 0x7f other than '"' and
// '\\', none of the subtractions below borrows or sets a byte's high bit.
func plainASCII(s string, j int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; len(s)-j >= 8; j += 8 {
		x := uint64(s[j]) | uint64(s[j+1])<<8 | uint64(s[j+2])<<16 | uint64(s[j+3])<<24 |
			uint64(s[j+4])<<32 | uint64(s[j+5])<<40 | uint64(s[j+6])<<48 | uint64(s[j+7])<<56
		if (x|(x-0x20*ones)|(x^'"'*ones-ones)|(x^'\\'*ones-ones))&highs != 0 {
			break
		}
	}
	for ; j < len(s); j++ {
		if c := s[j]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return j
		}
	}
	return j
}

// escaped is quoted for a string with escapes, from its first byte.
func (p *canonParser) escaped(start int) (string, bool) {
	s := p.s
	out := make([]byte, 0, 64)
	from := start // the first byte not yet copied to out
	for j := start; j < len(s); {
		c := s[j]
		switch {
		case c == '"':
			p.i = j + 1
			return string(append(out, s[from:j]...)), true
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf && c != '\\':
			j++
			continue
		case c != '\\':
			r, size := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return "", false
			}
			j += size
			continue
		}
		out = append(out, s[from:j]...)
		if j+1 == len(s) {
			return "", false
		}
		switch esc := s[j+1]; esc {
		case '"', '\\':
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
			if len(s)-j < 6 {
				return "", false
			}
			switch u := s[j+2 : j+6]; {
			case u == "2028":
				out = utf8.AppendRune(out, '\u2028')
			case u == "2029":
				out = utf8.AppendRune(out, '\u2029')
			case u[0] == '0' && u[1] == '0' && (u[2] == '0' || u[2] == '1') && lowerHex(u[3]):
				c := byte(u[2]-'0')<<4 | unhex(u[3])
				switch c {
				case '\b', '\f', '\n', '\r', '\t':
					return "", false // these have short escapes
				}
				out = append(out, c)
			default:
				return "", false
			}
			j += 4
		default:
			return "", false
		}
		j += 2
		from = j
	}
	return "", false
}

func lowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}
