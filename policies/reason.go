package policies

import (
	"fmt"
	"strings"
)

// Reason explains d in one line for the people who approve, operate and
// audit: which rule, counted from which date, due when, and which
// exemption, conflict or hold changed the outcome.
func (d *Decision) Reason() string {
	var b strings.Builder
	if d.Hold != nil {
		fmt.Fprintf(&b, "held by hold %s (%s", d.Hold.ID, d.Hold.Reason)
		if d.Hold.Owner != "" {
			fmt.Fprintf(&b, ", owner %s", d.Hold.Owner)
		}
		if !d.Hold.Until.IsZero() {
			fmt.Fprintf(&b, ", until %s", d.Hold.Until)
		} else {
			b.WriteString(", until released")
		}
		b.WriteString(")")
		if d.Rule == nil {
			return b.String()
		}
		b.WriteString("; without it: ")
	}
	if d.InArchive != "" {
		fmt.Fprintf(&b, "in the archive %q under archive duty: kept, no rule applies", d.InArchive)
		return b.String()
	}
	if d.Rule == nil {
		b.WriteString("no rule applies")
		return b.String()
	}
	r := d.Rule
	fmt.Fprintf(&b, "%s: ", r.ID)

	if d.Verdict == Review || (d.Verdict == Held && d.Unknown != "" && d.Due.IsZero()) {
		if d.UnknownRule != nil && d.UnknownRule != r {
			fmt.Fprintf(&b, "%s could delete this, but ", d.UnknownRule.ID)
		}
		fmt.Fprintf(&b, "kept for review: %s", d.Unknown)
		return b.String()
	}

	if r.Kind == RetainFor {
		b.WriteString("retained ")
	} else if d.Exemption != nil && d.Exemption.Then == ExemptArchive {
		b.WriteString("archive ")
	} else {
		b.WriteString("delete ")
	}
	b.WriteString(d.counting())

	switch {
	case d.Exemption != nil:
		fmt.Fprintf(&b, "; exempt (%s", d.Exemption.When)
		if d.Exemption.Note != "" {
			fmt.Fprintf(&b, ": %s", d.Exemption.Note)
		}
		b.WriteString(")")
		switch {
		case d.Exemption.Then == ExemptKeep:
			b.WriteString(", kept")
		case d.Unknown != "":
			fmt.Fprintf(&b, ", kept for review: %s", d.Unknown)
		case d.Never != "":
			fmt.Fprintf(&b, ", not due: %s", d.Never)
		case d.Verdict == Archive || d.Verdict == Held:
			fmt.Fprintf(&b, ", to be archived instead of deleted since %s", d.Due)
		default:
			fmt.Fprintf(&b, ", to be archived instead of deleted on %s", d.Due)
		}
	case d.Never != "" && d.Due.IsZero() && d.Retain == nil:
		fmt.Fprintf(&b, "; not due: %s", d.Never)
	case r.Kind == RetainFor:
		if d.RetainForever {
			b.WriteString("; the period has not started")
		} else {
			fmt.Fprintf(&b, " until %s; no rule deletes it", d.RetainUntil.AddDays(-1))
		}
		if d.Never != "" {
			fmt.Fprintf(&b, " (%s)", d.Never)
		}
	case d.Retain != nil:
		fmt.Fprintf(&b, ", from %s; but %s requires keeping it", d.DeleteDue, d.Retain.ID)
		if d.RetainForever {
			b.WriteString(" for a period that has not started (the minimum wins: conflict)")
		} else {
			fmt.Fprintf(&b, " until %s (the minimum wins: conflict), so due %s %s",
				d.RetainUntil.AddDays(-1), sinceOrOn(d), d.Due)
		}
	case d.HandedOver != nil:
		h := d.HandedOver
		fmt.Fprintf(&b, "; due %s %s: the footage was handed to the police when hold %s (%s) was released (C1a)", sinceOrOn(d), d.Due, h.ID, h.Reason)
	default:
		fmt.Fprintf(&b, "; due %s %s", sinceOrOn(d), d.Due)
	}
	if d.Unknown != "" && d.UnknownRule != nil && d.UnknownRule != r && d.Verdict != Review {
		fmt.Fprintf(&b, " (%s not evaluated: %s)", d.UnknownRule.ID, d.Unknown)
	}
	return b.String()
}

func sinceOrOn(d *Decision) string {
	if d.Today.IsZero() || d.Today.Before(d.Due) {
		return "on"
	}
	return "since"
}

// counting describes the rule's period for d: "30 days after recording on
// 2026-10-01 (time from the file name)".
func (d *Decision) counting() string {
	r := d.Rule
	var b strings.Builder
	anchor := r.From.describe()
	if kind, id, ok := strings.Cut(d.Subject, ":"); ok && r.From.IsSubject() {
		who := fmt.Sprintf("%s %q", kind, id)
		switch {
		case r.From.Event == "left":
			anchor = who + " leaving"
		case r.From.Event == "started":
			anchor = who + " starting"
		case r.From.Event == "born" && r.From.Years > 0:
			anchor = fmt.Sprintf("%s's %s birthday", who, ordinal(r.From.Years))
		default:
			anchor = fmt.Sprintf("%s's %s", who, strings.ReplaceAll(r.From.Event, "_", " "))
		}
	}
	if !d.Anchor.IsZero() {
		anchor += " on " + d.Anchor.String()
	}
	if d.RecordedFrom != "" {
		anchor += " (" + d.RecordedFrom + ")"
	}
	switch {
	case r.FromEndOf != NoBoundary && r.Keep.IsZero():
		fmt.Fprintf(&b, "at the end of the %s of %s", r.FromEndOf.describe(), anchor)
	case r.FromEndOf != NoBoundary:
		fmt.Fprintf(&b, "%s after the end of the %s of %s", r.Keep.Human(), r.FromEndOf.describe(), anchor)
	case r.Keep.IsZero():
		fmt.Fprintf(&b, "at %s", anchor)
	default:
		fmt.Fprintf(&b, "%s after %s", r.Keep.Human(), anchor)
	}
	if r.ByEndOf != NoBoundary {
		fmt.Fprintf(&b, ", at the latest on the last day of that %s", r.ByEndOf.describe())
	}
	return b.String()
}
