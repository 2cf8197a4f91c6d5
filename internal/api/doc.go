// Package api holds the Proton API as Go types, generated from the pinned
// service model: one struct per shape, the enums, exact-name JSON decoders,
// reflection-free JSON encoders of the outputs, validators for every constraint of the model, the operation table, the
// Service interface with one method per operation, and X.Summary, the projection of each full shape onto its
// summary shape.
//
// Files ending in _gen.go are written by `go generate ./...`; the other files
// are the small hand-written runtime that generated code calls.
package api

//go:generate go run ../codegen/cmd/codegen -model ../../model/proton-2020-07-20.json -out .
