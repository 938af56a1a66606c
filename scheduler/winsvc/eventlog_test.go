package winsvc

import (
	"errors"
	"testing"

	"go.uber.org/zap"
)

type event struct {
	kind string
	id   uint32
	msg  string
}

// events records what would go to the Event Log, in order.
type events []event

func (e *events) Info(id uint32, msg string) error {
	*e = append(*e, event{"info", id, msg})
	return nil
}
func (e *events) Warning(id uint32, msg string) error {
	*e = append(*e, event{"warning", id, msg})
	return nil
}
func (e *events) Error(id uint32, msg string) error {
	*e = append(*e, event{"error", id, msg})
	return nil
}

func TestEventCore(t *testing.T) {
	var got events
	log := zap.New(NewEventCore(&got)).Named("retentiond").Named("daemon").With(zap.String("host", "skole-fs1"))
	log.Debug("scheduled plan", zap.String("source", "skoledrev"))
	log.Info("plan finished", zap.String("source", "skoledrev"), zap.Int64("due", 12), zap.Bool("complete", true))
	log.Warn("export refused; the previous facts stay in force", zap.String("file", `\\fs1\eksport\tea.csv`))
	log.Error("job failed", zap.String("job", "execute"), zap.Error(errors.New("open source: access denied")))
	want := events{
		{"info", EventInfo, "plan finished\r\ncomponent: retentiond.daemon\r\nhost: skole-fs1\r\nsource: skoledrev\r\ndue: 12\r\ncomplete: true"},
		{"warning", EventWarning, "export refused; the previous facts stay in force\r\ncomponent: retentiond.daemon\r\nhost: skole-fs1\r\nfile: \\\\fs1\\eksport\\tea.csv"},
		{"error", EventError, "job failed\r\ncomponent: retentiond.daemon\r\nhost: skole-fs1\r\njob: execute\r\nerror: open source: access denied"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}
