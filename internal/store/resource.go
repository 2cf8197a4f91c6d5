package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Resource is what a store finds a resource by, from its ARN: its tags, its
// tombstone.
type Resource struct {
	Type, Account, Region string
	// Key is the rest of the ARN after "TYPE/": a connection's id, an
	// environment's name, a template's name or "name:major.minor".
	Key string
}

// ResourceOf splits the ARN of a Proton resource,
// arn:PARTITION:proton:REGION:ACCOUNT:TYPE/KEY, into what a store finds the
// resource by. ok is false for anything else.
func ResourceOf(arn string) (r Resource, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "proton" || parts[3] == "" {
		return Resource{}, false
	}
	typ, key, ok := strings.Cut(parts[5], "/")
	if !ok || typ == "" || key == "" {
		return Resource{}, false
	}
	return Resource{Type: typ, Account: parts[4], Region: parts[3], Key: key}, true
}

// TemplateKeyOf splits a template ARN's key into the template's name and,
// for a version ("name:major.minor"), its numbers. ok is false for a
// version key whose numbers are not numbers.
func TemplateKeyOf(key string) (name string, major, minor int64, isVersion, ok bool) {
	name, version, isVersion := strings.Cut(key, ":")
	if !isVersion {
		return name, 0, 0, false, true
	}
	ma, mi, found := strings.Cut(version, ".")
	major, err1 := strconv.ParseInt(ma, 10, 64)
	minor, err2 := strconv.ParseInt(mi, 10, 64)
	if !found || err1 != nil || err2 != nil {
		return "", 0, 0, false, false
	}
	return name, major, minor, true, true
}

// Tags stores customer tags of any resource, keyed by the resource's ARN.
type Tags interface {
	// ListTags returns the tags of a resource ordered by key (compared as
	// bytes); none is an empty result, not an error.
	ListTags(ctx context.Context, arn string) ([]Tag, error)

	// TagResource adds or overwrites tags, atomically; when the resource would
	// end up with more than maxTags tags, nothing changes and it fails with
	// ErrTooManyTags. The limit holds when calls race. The resource the ARN
	// names must exist (see ResourceOf), else ErrNotFound and nothing
	// changes; the check is part of the same transaction and holds off a
	// concurrent delete of the resource, so no tag outlives its resource. An
	// ARN of a type the implementation has no existence check for is an
	// error: a family whose resources take tags declares how to find them.
	TagResource(ctx context.Context, arn string, tags []Tag, maxTags int) error

	// UntagResource removes the given keys; absent keys are ignored.
	UntagResource(ctx context.Context, arn string, keys []string) error
}

// Tombstone is what a deleted resource leaves behind for a while, so that a
// repeated delete can tell a resource deleted a moment ago from one that
// never existed.
type Tombstone struct {
	Owner     string // the account of the resource's ARN
	DeletedAt time.Time
}

// Tombstones keeps the tombstones of deleted resources, keyed by their ARN's
// type, region and key and by account: a delete whose contract says so
// records one for the resource's owner and one for each other party that may
// delete it too (a connection's management account); a later delete of the
// same resource replaces them.
type Tombstones interface {
	// Tombstone returns the tombstone the resource r names left for
	// r.Account, or ErrNotFound.
	Tombstone(ctx context.Context, r Resource) (Tombstone, error)
}

// Maintenance is housekeeping that a background loop runs.
type Maintenance interface {
	// Purge removes idempotency tokens whose ExpiresAt is before now and
	// tombstones of deletes before tombstonesBefore. (A token whose ExpiresAt
	// equals now is already dead for the creates; purging it a moment later
	// changes nothing.)
	Purge(ctx context.Context, now, tombstonesBefore time.Time) error
}
