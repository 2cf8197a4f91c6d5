package store

import "errors"

// Errors that every implementation returns for the cases its contract names.
// Callers test them with errors.Is / errors.As.
var (
	// ErrNotFound: the resource does not exist (in that region).
	ErrNotFound = errors.New("store: not found")
	// ErrConditionFailed: a conditional change did not apply because the
	// resource is not in one of the required states.
	ErrConditionFailed = errors.New("store: condition failed")
	// ErrIdempotencyMismatch: a live idempotency token was used again with a
	// different request fingerprint.
	ErrIdempotencyMismatch = errors.New("store: idempotent parameter mismatch")
	// ErrQuotaExceeded: the create would exceed the quota it was given.
	ErrQuotaExceeded = errors.New("store: quota exceeded")
	// ErrTooManyTags: the resource would carry more tags than allowed.
	ErrTooManyTags = errors.New("store: too many tags")
)

// InUseError reports that an environment uses a connection, which blocks the
// requested change.
type InUseError struct {
	Environment string // name of the environment that uses the connection
}

func (e *InUseError) Error() string { return "store: connection used by environment " + e.Environment }
