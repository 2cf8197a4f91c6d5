// Package store defines what openproton needs from its database: one narrow
// interface per resource family, each with a written contract, and the
// conformance suite in storetest that every implementation must pass.
//
// Implementations: sqlite (the embedded default, also used for the "memory"
// store) and postgres (many replicas on one database). Every write is one
// transaction; state changes are conditional updates, so that racing
// requests end with exactly one winner.
//
// Keys: every resource belongs to an account and a region. Environment
// account connections are owned by their environment account, but both
// parties look them up by id, so they are keyed by (region, id); ids are
// random UUIDs. Timestamps are kept with millisecond precision.
package store
