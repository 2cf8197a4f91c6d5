package bundle

import (
	"fmt"
	"strings"
)

// Quotas of a template bundle (AWS Proton's service quotas, none adjustable).
const (
	// MaxBundleBytes bounds the object as stored (the .tar.gz).
	MaxBundleBytes = 5 << 20
	// MaxFiles bounds the regular files in each folder of a bundle
	// (schema/, infrastructure/, instance_infrastructure/,
	// pipeline_infrastructure/) and those outside them.
	MaxFiles = 10
	// MaxFileBytes bounds any file other than a manifest or the schema.
	MaxFileBytes = 200 << 10
	// MaxManifestBytes bounds each manifest.yaml.
	MaxManifestBytes = 50 << 10
	// MaxSchemaBytes bounds schema/schema.yaml.
	MaxSchemaBytes = 50 << 10
	// MaxUncompressedBytes bounds the decompressed tar stream. The files a
	// bundle may hold add up to at most 1.7 MiB; the rest of this bound leaves
	// room for tar headers and directory entries while stopping a gzip bomb
	// (a small object that inflates without end) after a few milliseconds.
	MaxUncompressedBytes = 2 * MaxBundleBytes
	// MaxSpecChars bounds a spec, as the service model bounds the spec member.
	MaxSpecChars = 51200
)

// Problem is a fault of a bundle, spec or schema that the user must fix. Msg
// is shown to users (as a template version's statusMessage or in a
// ValidationException), so it names the file and the problem exactly.
type Problem struct{ Msg string }

func (p *Problem) Error() string { return p.Msg }

func problemf(format string, args ...any) *Problem {
	return &Problem{Msg: fmt.Sprintf(format, args...)}
}

// SpecError lists every problem of a spec, each naming the input concerned
// (e.g. `spec.vpc_cidr: must match pattern "..."`).
type SpecError struct{ Problems []string }

func (e *SpecError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid spec: " + e.Problems[0]
	}
	return fmt.Sprintf("invalid spec (%d problems): %s", len(e.Problems), strings.Join(e.Problems, "; "))
}
