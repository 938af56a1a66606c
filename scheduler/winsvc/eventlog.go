package winsvc

import (
	"fmt"
	"strings"

	"go.uber.org/zap/zapcore"
)

// EventWriter writes entries to the Windows Event Log, as
// golang.org/x/sys/windows/svc/eventlog.Log and svc/debug.ConsoleLog do.
type EventWriter interface {
	Info(eid uint32, msg string) error
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
}

// Event ids, one per level, so that operators can filter on them (the
// message file of EventCreate accepts ids 1 to 1000).
const (
	EventInfo    uint32 = 1
	EventWarning uint32 = 2
	EventError   uint32 = 3
)

// NewEventCore is a zap core that writes entries of level Info and above
// to w, one event per entry: the message, then one "key: value" line per
// field, logger name first. Info entries are the daemon's start, stop and
// run summaries; warnings and errors are what operators must act on.
func NewEventCore(w EventWriter) zapcore.Core {
	return &eventCore{LevelEnabler: zapcore.InfoLevel, w: w}
}

type eventCore struct {
	zapcore.LevelEnabler
	w      EventWriter
	fields []zapcore.Field
}

func (c *eventCore) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.fields = append(append([]zapcore.Field{}, c.fields...), fields...)
	return &clone
}

func (c *eventCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *eventCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.LoggerName != "" {
		fmt.Fprintf(&b, "\r\ncomponent: %s", e.LoggerName)
	}
	enc := zapcore.NewMapObjectEncoder()
	all := append(append([]zapcore.Field{}, c.fields...), fields...)
	for _, f := range all {
		f.AddTo(enc)
	}
	for _, f := range all {
		if v, ok := enc.Fields[f.Key]; ok {
			fmt.Fprintf(&b, "\r\n%s: %v", f.Key, v)
			delete(enc.Fields, f.Key) // a key given twice is written once
		}
	}
	switch {
	case e.Level >= zapcore.ErrorLevel:
		return c.w.Error(EventError, b.String())
	case e.Level == zapcore.WarnLevel:
		return c.w.Warning(EventWarning, b.String())
	default:
		return c.w.Info(EventInfo, b.String())
	}
}

func (c *eventCore) Sync() error { return nil }
