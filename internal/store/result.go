package store

import "errors"

// WithRow is how a store method returns from a transaction that sets out:
// out and nil on success; out and err when err is one of refusals, the
// contract errors whose methods return the current row with them (such as
// ErrConditionFailed); the zero value and err for any other failure, so that
// no half-read row leaks out.
func WithRow[T any](out T, err error, refusals ...error) (T, error) {
	if err == nil {
		return out, nil
	}
	for _, r := range refusals {
		if errors.Is(err, r) {
			return out, err
		}
	}
	var zero T
	return zero, err
}
