package family

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/store"
)

// Family is what a resource family declares of itself, once, in its
// package: the API operations it implements and the ARN resource types of
// its resources. The server builds tagging from the declarations, and the
// tests check them against the handlers, the store and the end-to-end
// suites.
type Family struct {
	Name       string
	Operations []string
	Resources  []Resource
}

// Resource is an ARN resource type of a family.
type Resource struct {
	Type string // as ARNs write it: "environment"
	// TagOwner, for a type whose resources take tags, checks who may
	// manage them; nil for a type without tags.
	TagOwner Owner
}

// Owner checks that caller may manage the tags of the resource named by a,
// returning a fault.Error (NotFound or AccessDenied) when it may not.
type Owner func(ctx context.Context, caller auth.Caller, a arn.ARN) error

// TokenTTL is how long a client token is honoured and a delete leaves its
// tombstone, in every family.
const TokenTTL = 8 * time.Hour

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

// Found maps the result of a store read of one resource: store.ErrNotFound
// becomes notFound (the family's modelled error), another failure an
// internal one of op.
func Found[T any](v T, err error, notFound error, op string) (T, error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return v, notFound
	case err != nil:
		return v, Internal(op, err)
	}
	return v, nil
}

// NotFound is the ResourceNotFoundException of a resource that does not
// exist, or that the caller may not see: noun names its kind
// ("Environment", "Deployment").
func NotFound(noun, name string) error {
	return fault.New(fault.NotFound, "%s %s was not found.", noun, name)
}

// Fingerprint identifies the parameters of a create by name, for idempotent
// creates: parts in order, and tags as a set.
func Fingerprint(tags []store.Tag, parts ...any) string {
	tags = append([]store.Tag(nil), tags...)
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	b, _ := json.Marshal(append(parts, tags))
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// DeletedBefore decides a delete of a resource r that does not exist: nil
// when r.Account deleted it less than ttl before now (its tombstone says
// so), else missing.
func DeletedBefore(ctx context.Context, ts store.Tombstones, r store.Resource, now time.Time, ttl time.Duration, missing error) error {
	t, err := ts.Tombstone(ctx, r)
	if errors.Is(err, store.ErrNotFound) {
		return missing
	}
	if err != nil {
		return Internal("get tombstone of "+r.Type+" "+r.Key, err)
	}
	if now.Sub(t.DeletedAt) > ttl {
		return missing
	}
	return nil
}

// Raced is the ConflictException of a write that lost to a concurrent
// change of what it writes: a worker ending a deployment (or settling a
// service) changes the rows too, so such a write is tried again
// (Retrying).
type Raced struct{ error }

func (r Raced) Unwrap() error { return r.error }

// Lost marks err, the ConflictException of a write that lost a race, as
// Raced.
func Lost(err error) error { return Raced{err} }

// WriteAttempts bounds how often a write is tried when it loses a race.
const WriteAttempts = 5

// Retrying runs attempt (which reads what it needs and writes) again while
// its write loses to a concurrent change (a Raced error), at most
// WriteAttempts times.
func Retrying[T any](attempt func() (T, error)) (T, error) {
	for n := 1; ; n++ {
		out, err := attempt()
		var r Raced
		if !errors.As(err, &r) || n == WriteAttempts {
			return out, err
		}
	}
}
