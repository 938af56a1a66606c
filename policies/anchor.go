package policies

import (
	"fmt"
	"strconv"
	"strings"
)

// Anchor names the date a retention period counts from: one of the item's
// own dates, or an event in the life of the subject the item is about.
//
//	item.modified  item.created  item.received  item.recorded
//	subject.left   subject.started   subject.case_closed   subject.<event>
//	subject.birthday(18)   (the subject's 18th birthday)
//
// Subject events are looked up through Subjects at evaluation time, so new
// kinds of event (from new school-system exports) need no change here.
type Anchor struct {
	// Item is set for item.* anchors.
	Item ItemDate
	// Event is set for subject.* anchors: the event's name, "born" for
	// birthdays.
	Event string
	// Years is the birthday for subject.birthday(N): Event is "born" and the
	// anchor is that date plus N years.
	Years int
}

// ItemDate is one of an item's own dates.
type ItemDate int

const (
	noItemDate ItemDate = iota
	Modified
	Created
	Received
	Recorded
)

var itemDateNames = [...]string{
	Modified: "modified",
	Created:  "created",
	Received: "received",
	Recorded: "recorded",
}

func (d ItemDate) String() string {
	if d > 0 && int(d) < len(itemDateNames) {
		return itemDateNames[d]
	}
	return ""
}

// ParseAnchor parses an anchor as written in a policy file.
func ParseAnchor(s string) (Anchor, error) {
	scope, name, ok := strings.Cut(s, ".")
	switch {
	case !ok:
	case scope == "item":
		for d, n := range itemDateNames {
			if n != "" && n == name {
				return Anchor{Item: ItemDate(d)}, nil
			}
		}
		return Anchor{}, fmt.Errorf("%q is not an item date (use item.modified, item.created, item.received or item.recorded)", s)
	case scope == "subject":
		if arg, ok := strings.CutPrefix(name, "birthday("); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(arg, ")"))
			if err != nil || !strings.HasSuffix(arg, ")") || n < 0 || n > 150 {
				return Anchor{}, fmt.Errorf("%q is not a birthday (write e.g. subject.birthday(18))", s)
			}
			return Anchor{Event: "born", Years: n}, nil
		}
		if !isIdent(name) {
			return Anchor{}, fmt.Errorf("%q is not a subject event (write e.g. subject.left)", s)
		}
		return Anchor{Event: name}, nil
	}
	return Anchor{}, fmt.Errorf("%q is not an anchor (write item.<date> or subject.<event>)", s)
}

// isIdent reports whether s is a lower-case snake_case identifier.
func isIdent(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// IsSubject reports whether a counts from a subject event.
func (a Anchor) IsSubject() bool { return a.Event != "" }

// IsZero reports whether a is unset.
func (a Anchor) IsZero() bool { return a == Anchor{} }

// String returns a as written in policy files; it is the "basis" recorded in
// the ledger.
func (a Anchor) String() string {
	switch {
	case a.Item != noItemDate:
		return "item." + a.Item.String()
	case a.Event == "born" && a.Years > 0:
		return "subject.birthday(" + strconv.Itoa(a.Years) + ")"
	case a.Event != "":
		return "subject." + a.Event
	}
	return ""
}

// describe returns words for a, for reasons.
func (a Anchor) describe() string {
	switch {
	case a.Item == Recorded:
		return "recording"
	case a.Item == Received:
		return "receipt"
	case a.Item == Created:
		return "creation"
	case a.Item == Modified:
		return "last modification"
	case a.Event == "born" && a.Years > 0:
		return "the subject's " + ordinal(a.Years) + " birthday"
	case a.Event == "left":
		return "the subject leaving"
	case a.Event == "started":
		return "the subject starting"
	case a.Event != "":
		return "subject event " + strings.ReplaceAll(a.Event, "_", " ")
	}
	return "?"
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
