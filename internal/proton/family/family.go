package family

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openproton/openproton/internal/fault"
)

// Clock returns a clock reading now (time.Now when nil) as the store keeps
// and clients see time: UTC, to the millisecond, so that a value written
// and read back compares equal.
func Clock(now func() time.Time) func() time.Time {
	if now == nil {
		now = time.Now
	}
	return func() time.Time { return now().UTC().Truncate(time.Millisecond) }
}

// IDs returns newID, or lowercase random UUIDs when it is nil.
func IDs(newID func() string) func() string {
	if newID == nil {
		return uuid.NewString
	}
	return newID
}

// Internal wraps a store failure that is not part of the store's contract;
// the protocol layer answers it as an internal failure.
func Internal(op string, err error) error {
	return fmt.Errorf("%s: %w", op, err)
}

// NotFound is the ResourceNotFoundException of a resource that does not
// exist, or that the caller may not see: noun names its kind
// ("Environment", "Deployment").
func NotFound(noun, name string) error {
	return fault.New(fault.NotFound, "%s %s was not found.", noun, name)
}
