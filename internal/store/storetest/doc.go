// Package storetest is the conformance suite of the store contract. Every
// implementation of store.Store runs Run from its own tests, through a
// Harness, so that the embedded and the shared database behave identically
// for the server above them. The tests are registered by family, and Run
// fails for a family of the store without them.
//
// Each subtest checks one clause of a contract comment in package store and
// opens a fresh, empty store, so subtests neither depend on each other nor on
// the order they run in, and they run in parallel. Times are fixed, never read from the clock, and
// identifiers are generated from a counter, so a failure reproduces exactly.
package storetest
