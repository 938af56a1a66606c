package cctv

import (
	"strings"
	"testing"
	"time"
)

var cph = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		panic(err)
	}
	return loc
}()

func TestRecordedAt(t *testing.T) {
	mtime := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		ref  string
		want string // local time in Copenhagen, or "" for none
		from string // substring of the phrase
	}{
		{"Kamera-1/cam01_20261103_141500.mp4", "2026-11-03 14:15:00", "from the file name"},
		{"cam01_20261103141500.mp4", "2026-11-03 14:15:00", "from the file name"},
		{"x/20261103T141500-motion.avi", "2026-11-03 14:15:00", "from the file name"},
		{"NVR/2026-11-03_14-15-00.mkv", "2026-11-03 14:15:00", "from the file name"},
		{"NVR/Indgang 2026-11-03 14.15.00.mp4", "2026-11-03 14:15:00", "from the file name"},
		{"Kamera-1 Indgang/2026-10-09/08-00-00.mp4", "2026-10-09 08:00:00", "its folder's date"},
		{"Kamera-1/20261009/080000.mp4", "2026-10-09 08:00:00", "its folder's date"},
		{"Kamera-1/2026-10-09/sub/clip.mp4", "2026-10-09 00:00:00", "from the folder's date: the name has no time"},
		{"Kamera-1/export/clip.mp4", mtime.In(cph).Format(time.DateTime), "from the modification time: the name has no time"},
		{"cam01_101.mp4", mtime.In(cph).Format(time.DateTime), "from the modification time"},
		// The night the clocks go back: 02:30 happens twice; the first is taken.
		{"cam_20261025_023000.mp4", "2026-10-25 02:30:00", "from the file name"},
		// Leap day.
		{"cam_20240229_120000.mp4", "2024-02-29 12:00:00", "from the file name"},
		// Not to be trusted: kept and flagged.
		{"cam_20260230_120000.mp4", "", "2026-02-30 is not a day of the calendar"},
		{"Kamera-1/2026-02-30/08-00-00.mp4", "", "2026-02-30 is not a day of the calendar"},
		{"cam_20261103_251500.mp4", "", "25:15:00 is not a time of day"},
		{"cam_20311103_141500.mp4", "", "is in the future"},
		{"cam_19000101_000000.mp4", "", "is not a day of the calendar"},
	}
	for _, tt := range tests {
		got, from := recordedAt(tt.ref, mtime, now, cph)
		switch {
		case tt.want == "" && !got.IsZero():
			t.Errorf("%s: %v (%s), want none", tt.ref, got, from)
		case tt.want != "" && got.In(cph).Format(time.DateTime) != tt.want:
			t.Errorf("%s: %v (%s), want %s", tt.ref, got.In(cph).Format(time.DateTime), from, tt.want)
		}
		if !strings.Contains(from, tt.from) {
			t.Errorf("%s: from %q, want %q", tt.ref, from, tt.from)
		}
	}
	// A recorder clock a little ahead is tolerated.
	if got, _ := recordedAt("cam_20261122_133000.mp4", mtime, now, cph); got.IsZero() {
		t.Error("a time 30 minutes ahead of the clock was refused")
	}
}

func FuzzRecordedAt(f *testing.F) {
	for _, s := range []string{"Kamera-1/cam01_20261103_141500.mp4", "a/2026-10-09/08-00-00.mp4", "2026-11-03_14-15-00.mkv", "x/2026-02-30/y.mp4", "x.mp4"} {
		f.Add(s)
	}
	mtime := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ref string) {
		got, from := recordedAt(ref, mtime, now, cph)
		if from == "" {
			t.Fatalf("%q: no phrase", ref)
		}
		if !got.IsZero() && (got.After(now.Add(futureSlack)) || got.Year() < 1990) {
			t.Fatalf("%q: recorded %v", ref, got)
		}
	})
}
