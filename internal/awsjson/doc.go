// Package awsjson serves the AWS JSON 1.0 protocol of the Proton API.
//
// One generic loop handles every operation, with its checks in a fixed
// order: method and path, target known, body size, authentication, JSON
// decode, validation, then the operation itself. Errors of every layer are
// fault.Errors; this package maps each Code to its wire name and HTTP status
// in one table (errors.go).
package awsjson
