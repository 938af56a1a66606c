package connectors

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"
)

// Kind describes one kind of connector ("fileshare", "m365") so that the
// configuration can name it. Kinds are registered explicitly by the program
// that wires retentiond together; there is no registration in init().
type Kind struct {
	// Name is the value of `kind:` in a source's configuration.
	Name string

	// NewConfig returns a pointer to a fresh options value that the config
	// loader decodes the source's `options:` mapping into, rejecting unknown
	// keys. If the value has a method `Validate() error`, the loader calls it
	// and reports its error against the source's `options` field.
	NewConfig func() any

	// Open builds a connector from decoded and validated options. It must
	// check that the source can be reached and read (and fail if not), but
	// must not list or change anything.
	Open func(ctx context.Context, env Env, options any) (Connector, error)
}

// NewKind returns the Kind named name whose options are decoded into a
// fresh *O and handed to open typed, so that each connector's Kind need
// not assert the type itself.
func NewKind[O any](name string, open func(ctx context.Context, env Env, o *O) (Connector, error)) Kind {
	return Kind{
		Name:      name,
		NewConfig: func() any { return new(O) },
		Open: func(ctx context.Context, env Env, options any) (Connector, error) {
			o, ok := options.(*O)
			if !ok {
				return nil, Errorf(CodeInvalid, "open", "", fmt.Errorf("%s options have type %T, want %T", name, options, o))
			}
			return open(ctx, env, o)
		},
	}
}

// Root is a folder a source manages, as its options give it: Field names
// the option ("root", "backups[0]"), Path the folder (a local path, a UNC
// path or an smb:// URL; relative to Env.BaseDir when relative).
type Root struct {
	Field, Path string
}

// Rooted is implemented by the options of connectors that manage the
// files under folders (file shares, recorder folders), so that the
// configuration can refuse two sources managing the same files.
type Rooted interface {
	Roots() []Root
}

// Env is what every connector gets from the program, beside its options.
type Env struct {
	// Source is the configured name of the source.
	Source string
	// BaseDir is the directory relative paths in the options are resolved
	// against: the directory of the configuration file.
	BaseDir string
	// Logger is named for the source; never nil.
	Logger *zap.Logger
	// Now returns the current time, for connectors that must reason about
	// it (an HTTP-date Retry-After). Nil means the system clock.
	Now func() time.Time
}

// Registry holds the known connector kinds.
type Registry struct {
	kinds map[string]Kind
}

// NewRegistry returns a registry holding the given kinds. It panics on a
// duplicate or incomplete kind: that is a programming error.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{kinds: make(map[string]Kind, len(kinds))}
	for _, k := range kinds {
		if k.Name == "" || k.NewConfig == nil || k.Open == nil {
			panic(fmt.Sprintf("connectors: incomplete kind %q", k.Name))
		}
		if _, dup := r.kinds[k.Name]; dup {
			panic(fmt.Sprintf("connectors: kind %q registered twice", k.Name))
		}
		r.kinds[k.Name] = k
	}
	return r
}

// Lookup returns the kind with the given name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Names returns the registered kind names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
