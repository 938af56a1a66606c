package cctv

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	// 20261103_141500, 20261103141500, 20261103T141500, 20261103-141500
	compactStamp = regexp.MustCompile(`(?:^|[^0-9])(\d{4})(\d{2})(\d{2})[_T-]?(\d{2})(\d{2})(\d{2})(?:[^0-9]|$)`)
	// 2026-11-03_14-15-00, 2026-11-03 14.15.00, 2026-11-03T14:15:00
	isoStamp = regexp.MustCompile(`(?:^|[^0-9])(\d{4})-(\d{2})-(\d{2})[ _T](\d{2})[-.:](\d{2})[-.:](\d{2})(?:[^0-9]|$)`)
	// a name that starts with a time of day: 14-15-00, 141500
	timeOnly = regexp.MustCompile(`^(\d{2})[-.:]?(\d{2})[-.:]?(\d{2})(?:[^0-9]|$)`)
	// a folder named by day: 2026-11-03, 20261103
	dayFolder = regexp.MustCompile(`^(\d{4})-?(\d{2})-?(\d{2})$`)
)

// Where a recording time came from, as phrases for reasons.
const (
	fromName   = "from the file name"
	fromFolder = "from the folder's date: the name has no time"
	fromMtime  = "from the modification time: the name has no time"
)

// futureSlack is how far ahead of the clock a recording time may be
// before it is distrusted (clocks of recorders drift).
const futureSlack = time.Hour

// recordedAt works out when the recording at ref started, in loc: from a
// time stamp in its name, else a time of day in its name on the date of a
// folder above it, else that folder's date, else the file's modification
// time. When the name or folder holds a date or time that is not one, or
// one in the future, it returns the zero time and why: such a recording is
// kept and flagged, never dated by a guess.
func recordedAt(ref string, mtime, now time.Time, loc *time.Location) (time.Time, string) {
	name := path.Base(ref)
	stem := strings.TrimSuffix(name, path.Ext(name))
	var (
		t    time.Time
		from string
		err  error
	)
	if m := compactStamp.FindStringSubmatch(stem); m != nil {
		t, err = civil(loc, m[1], m[2], m[3], m[4], m[5], m[6])
		from = fromName
	} else if m := isoStamp.FindStringSubmatch(stem); m != nil {
		t, err = civil(loc, m[1], m[2], m[3], m[4], m[5], m[6])
		from = fromName
	} else if day, ok := folderDay(ref); ok {
		if m := timeOnly.FindStringSubmatch(stem); m != nil {
			t, err = civil(loc, day[0], day[1], day[2], m[1], m[2], m[3])
			from = fromName + " and its folder's date"
		} else {
			t, err = civil(loc, day[0], day[1], day[2], "00", "00", "00")
			from = fromFolder
		}
	} else {
		return mtime, fromMtime
	}
	switch {
	case err != nil:
		return time.Time{}, err.Error()
	case t.After(now.Add(futureSlack)):
		return time.Time{}, fmt.Sprintf("the recording time %s, %s, is in the future", t.Format("2006-01-02 15:04:05"), from)
	}
	return t, from
}

// folderDay returns the date of the nearest folder above ref named by day.
func folderDay(ref string) ([3]string, bool) {
	dir := path.Dir(ref)
	for dir != "." && dir != "/" {
		if m := dayFolder.FindStringSubmatch(path.Base(dir)); m != nil {
			return [3]string{m[1], m[2], m[3]}, true
		}
		dir = path.Dir(dir)
	}
	return [3]string{}, false
}

// civil builds a local time from decimal fields, refusing dates and times
// that do not exist on the calendar (30-02, 25:00).
func civil(loc *time.Location, y, mo, d, h, mi, s string) (time.Time, error) {
	n := func(v string) int { x, _ := strconv.Atoi(v); return x }
	Y, M, D, H, Mi, S := n(y), n(mo), n(d), n(h), n(mi), n(s)
	if H > 23 || Mi > 59 || S > 59 {
		return time.Time{}, fmt.Errorf("the recording time %s:%s:%s is not a time of day", h, mi, s)
	}
	t := time.Date(Y, time.Month(M), D, H, Mi, S, 0, loc)
	if Y < 1990 || t.Year() != Y || int(t.Month()) != M || t.Day() != D {
		return time.Time{}, fmt.Errorf("the recording date %s-%s-%s is not a day of the calendar", y, mo, d)
	}
	return t, nil
}
