package memory_test

import (
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/memory"
)

type fixture struct{ s *memory.Source }

func (f fixture) Put(t testing.TB, ref string, content []byte, modified time.Time) {
	f.s.Put(ref, content, modified)
}
func (f fixture) Modify(t testing.TB, ref string)               { f.s.Modify(ref) }
func (f fixture) Remove(t testing.TB, ref string)               { f.s.Remove(ref) }
func (f fixture) Exists(t testing.TB, ref string) bool          { return f.s.Exists(ref) }
func (f fixture) ContainerExists(t testing.TB, ref string) bool { return f.s.DirExists(ref) }

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			s := memory.New(t.Name())
			return s.Connector(), fixture{s}
		},
		Pruner: true,
	})
}
