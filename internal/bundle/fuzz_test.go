package bundle

import (
	"errors"
	"testing"
)

// FuzzRead checks that Read never panics and that whatever it accepts meets
// the limits. Seeds: testdata/fuzz/FuzzRead (good bundles of every kind).
func FuzzRead(f *testing.F) {
	f.Add(envBundle(f), byte(0))
	f.Fuzz(func(t *testing.T, data []byte, flags byte) {
		o := ReadOptions{Kind: Kind(flags & 1), CustomerManaged: flags&2 != 0, NoPipeline: flags&4 != 0}
		b, err := Read(data, o)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Msg == "" {
				t.Fatalf("Read error is not a Problem: %T %v", err, err)
			}
			return
		}
		if len(b.Files) > maxKeptFiles || checkFileCounts(b.Files) != nil || b.Schema == nil || b.SchemaText == "" {
			t.Fatalf("accepted bundle breaks limits: %d files, schema %v", len(b.Files), b.Schema)
		}
		for _, f := range b.Files {
			if len(f.Data) > MaxFileBytes {
				t.Fatalf("%s: %d bytes accepted", f.Path, len(f.Data))
			}
		}
		if b.Infrastructure == nil && !(o.Kind == KindEnvironment && o.CustomerManaged) {
			t.Fatal("accepted bundle has no infrastructure manifest")
		}
		if err := b.Schema.CheckCompatible(b.Schema); err != nil {
			t.Fatalf("schema is not compatible with itself: %v", err)
		}
	})
}

// FuzzSpec checks that schema parsing and spec validation never panic and
// fail only with the documented error types. Seeds: testdata/fuzz/FuzzSpec.
func FuzzSpec(f *testing.F) {
	f.Add(envSchema, "proton: EnvironmentSpec\nspec:\n  replicas: 2\n")
	f.Fuzz(func(t *testing.T, schemaText, spec string) {
		for _, kind := range []Kind{KindEnvironment, KindService} {
			s, err := ParseSchema(schemaText, kind)
			if err != nil {
				var p *Problem
				if !errors.As(err, &p) {
					t.Fatalf("ParseSchema error is not a Problem: %T %v", err, err)
				}
				continue
			}
			if err := s.CheckCompatible(s); err != nil {
				t.Fatalf("schema is not compatible with itself: %v", err)
			}
			if kind == KindEnvironment {
				_, err = s.ValidateEnvironmentSpec(spec, map[string]any{"replicas": int64(1), "name": "x"})
			} else {
				_, err = s.ValidateServiceSpec(spec)
			}
			var p *Problem
			var se *SpecError
			if err != nil && !errors.As(err, &p) && !(errors.As(err, &se) && len(se.Problems) > 0) {
				t.Fatalf("spec error of type %T: %v", err, err)
			}
		}
	})
}
