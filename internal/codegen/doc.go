// Package codegen turns the pinned Proton service model into the Go code of
// package api: shapes, enums, exact-name JSON decoders, validators for every
// model constraint, the operation table, the Service interface, and the
// projection of each full shape onto its summary shape (X.Summary).
//
// The model is the single source of truth. Run `go generate ./...` to
// regenerate; a test fails when the committed code differs from what the
// generator writes.
package codegen
