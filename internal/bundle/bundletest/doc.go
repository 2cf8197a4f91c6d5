// Package bundletest is for tests and the benchmark harness: it builds
// template bundles (gzipped tar archives) from ordered entries or from a map
// of path to content, writes them where a server started with --bundle-dir
// reads them, and holds the canonical sample environment and service
// template bundle files that tests across the project share.
//
// Tests that check the bundle reader itself keep their own, richer samples
// next to them; the samples here are the small good bundles that other tests
// need only as input.
package bundletest
