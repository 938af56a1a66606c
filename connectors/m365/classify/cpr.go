package classify

import (
	"strings"
	"time"
)

// FindCPR reports whether text holds a Danish CPR number and in which form:
// "ddmmyy-xxxx" (also with a space instead of the hyphen) or "ddmmyyxxxx".
//
// The ten digits must stand alone (no digit or letter touching them, so
// parts of longer numbers, IBANs and order codes do not count) and their
// first six must be a real date in the century the seventh digit gives
// (CPR rules since 1968: 0-3 → 1900s; 4 and 9 → 2000-2036 or 1937-1999;
// 5-8 → 2000-2057 or 1858-1899), which rules out most other numbers: 31
// February, month 13, day 00. Phone numbers have eight digits and never
// match. A bare ten-digit number is counted only near a word that names it
// (CPR, personnummer, født) or if it passes the modulus-11 check that CPR
// numbers issued before 2007 all pass, so that invoice and order numbers
// that happen to start with a date are not mistaken for one.
func FindCPR(text string) (form string, ok bool) {
	b := []byte(text)
	for i := 0; i+10 <= len(b); i++ {
		if !isDigit(b[i]) || i > 0 && isAlnum(b[i-1]) {
			continue
		}
		// Six digits of date.
		if !allDigits(b[i : i+6]) {
			continue
		}
		j := i + 6
		sep := byte(0)
		if j < len(b) && (b[j] == '-' || b[j] == ' ') {
			sep = b[j]
			j++
		}
		if j+4 > len(b) || !allDigits(b[j:j+4]) || j+4 < len(b) && isAlnum(b[j+4]) {
			continue
		}
		if sep == ' ' && i > 0 && isDigit(b[i-1]) {
			continue
		}
		digits := string(b[i:i+6]) + string(b[j:j+4])
		if !validDate(digits) {
			continue
		}
		switch {
		case sep == '-':
			return "ddmmyy-xxxx", true
		case sep == ' ':
			if nearCPRWord(text, i) || mod11(digits) {
				return "ddmmyy xxxx", true
			}
		default:
			if nearCPRWord(text, i) || mod11(digits) {
				return "ddmmyyxxxx", true
			}
		}
	}
	return "", false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// validDate reports whether the ten CPR digits begin with a real birth date.
func validDate(d string) bool {
	day := int(d[0]-'0')*10 + int(d[1]-'0')
	month := int(d[2]-'0')*10 + int(d[3]-'0')
	yy := int(d[4]-'0')*10 + int(d[5]-'0')
	c7 := int(d[6] - '0')
	var year int
	switch {
	case c7 <= 3:
		year = 1900 + yy
	case c7 == 4 || c7 == 9:
		if yy <= 36 {
			year = 2000 + yy
		} else {
			year = 1900 + yy
		}
	default: // 5-8
		if yy <= 57 {
			year = 2000 + yy
		} else {
			year = 1800 + yy
		}
	}
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	t := time.Date(year, time.Month(month), day, 12, 0, 0, 0, time.UTC)
	return t.Day() == day && int(t.Month()) == month
}

// mod11 is the check CPR numbers issued before October 2007 pass.
func mod11(d string) bool {
	weights := [10]int{4, 3, 2, 7, 6, 5, 4, 3, 2, 1}
	sum := 0
	for k := 0; k < 10; k++ {
		sum += weights[k] * int(d[k]-'0')
	}
	return sum%11 == 0
}

// nearCPRWord reports whether a word naming a CPR number ends within 30
// bytes before position i.
func nearCPRWord(text string, i int) bool {
	from := max(0, i-30)
	window := strings.ToLower(text[from:i])
	for _, w := range []string{"cpr", "personnummer", "personnr", "født", "foedt", "cpr-nr", "cprnr"} {
		if strings.Contains(window, w) {
			return true
		}
	}
	return false
}
