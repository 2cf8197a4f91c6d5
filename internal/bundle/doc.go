// Package bundle reads and checks template bundles, the gzipped tar archives
// from which template versions are registered, and validates the specs that
// environments and services supply against a bundle's schema.
//
// Everything a user must fix (a bad archive, a missing file, a schema fault, a
// spec input out of range) is reported as a *Problem or a *SpecError whose
// text is shown to the user as is, so messages name the file, line or input
// concerned. Read is bounded in memory and time whatever its input: the
// archive, every file and the decompressed stream all have limits
// (docs/bundles.md lists them with every rule and choice made here).
//
// Schemas are the OpenAPI 3 subset Proton accepts; they are parsed into
// github.com/getkin/kin-openapi schemas, which also validate spec values.
package bundle
