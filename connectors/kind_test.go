package connectors

import (
	"context"
	"strings"
	"testing"
)

type kindTestOptions struct{ Root string }

func TestNewKind(t *testing.T) {
	var got *kindTestOptions
	k := NewKind("test", func(ctx context.Context, env Env, o *kindTestOptions) (Connector, error) {
		got = o
		return nil, nil
	})
	cfg := k.NewConfig()
	o, ok := cfg.(*kindTestOptions)
	if !ok || k.Name != "test" {
		t.Fatalf("NewConfig gave %T, name %q", cfg, k.Name)
	}
	o.Root = "/srv"
	if _, err := k.Open(t.Context(), Env{}, cfg); err != nil || got != o {
		t.Fatalf("Open: %v; options handed over %p, want %p", err, got, o)
	}
	_, err := k.Open(t.Context(), Env{}, &struct{}{})
	if CodeOf(err) != CodeInvalid || !strings.Contains(err.Error(), "test options have type *struct {}, want *connectors.kindTestOptions") {
		t.Fatalf("Open with options of another type: %v (%v)", err, CodeOf(err))
	}
}
