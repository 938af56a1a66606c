// Package classify finds what makes a mail sensitive under rule M1 of the
// retention rules: a Danish CPR number, or a configured keyword or Outlook
// category. It looks only at the text it is given (a subject and a body
// preview) and says what kind of thing it found and where it looked, never
// the number itself: its findings end up in plans and reasons.
//
// It is the part of the Microsoft 365 mailbox connector that needs no
// Microsoft Graph, so that it builds and is tested without the SDK.
package classify

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a finding is.
type Kind string

const (
	KindCPR      Kind = "cpr"      // a Danish CPR number with a valid date
	KindKeyword  Kind = "keyword"  // a configured word or phrase
	KindCategory Kind = "category" // a configured Outlook category
)

// Finding is one reason a text is sensitive. What is the configured keyword
// or category for those kinds, and a description of the form for a CPR
// number ("ddmmyy-xxxx"); never the number.
type Finding struct {
	Kind  Kind
	Field string // "subject", "preview" or "categories"
	What  string
}

// String is the finding as a plan's reason shows it.
func (f Finding) String() string {
	switch f.Kind {
	case KindCPR:
		return fmt.Sprintf("a CPR number (%s) in the %s", f.What, f.Field)
	case KindCategory:
		return fmt.Sprintf("the Outlook category %q", f.What)
	}
	return fmt.Sprintf("the keyword %q in the %s", f.What, f.Field)
}

// Classifier holds the configured keywords and categories.
type Classifier struct {
	keywords   []string // lower case
	categories []string // lower case
}

// New returns a classifier for the keywords (matched case-insensitively as
// whole words or phrases) and Outlook categories (matched
// case-insensitively).
func New(keywords, categories []string) *Classifier {
	c := &Classifier{}
	for _, k := range keywords {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
			c.keywords = append(c.keywords, k)
		}
	}
	for _, k := range categories {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
			c.categories = append(c.categories, k)
		}
	}
	return c
}

// Mail is what the classifier reads of a message.
type Mail struct {
	Subject    string
	Preview    string
	Categories []string
}

// Classify returns every finding in m, CPR numbers first, at most one per
// kind, field and keyword.
func (c *Classifier) Classify(m Mail) []Finding {
	var out []Finding
	for _, f := range []struct{ name, text string }{{"subject", m.Subject}, {"preview", m.Preview}} {
		if form, ok := FindCPR(f.text); ok {
			out = append(out, Finding{Kind: KindCPR, Field: f.name, What: form})
		}
	}
	for _, f := range []struct{ name, text string }{{"subject", m.Subject}, {"preview", m.Preview}} {
		lower := strings.ToLower(f.text)
		for _, k := range c.keywords {
			if containsWord(lower, k) {
				out = append(out, Finding{Kind: KindKeyword, Field: f.name, What: k})
			}
		}
	}
	for _, cat := range m.Categories {
		if slices.Contains(c.categories, strings.ToLower(strings.TrimSpace(cat))) {
			out = append(out, Finding{Kind: KindCategory, Field: "categories", What: cat})
		}
	}
	return out
}

// containsWord reports whether phrase occurs in s with no letter or digit
// directly before or after it.
func containsWord(s, phrase string) bool {
	for i := 0; i <= len(s)-len(phrase); {
		j := strings.Index(s[i:], phrase)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(phrase)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[start:])
		i = start + size
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
