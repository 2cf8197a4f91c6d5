package store

import (
	"strconv"
	"strings"
)

// Resource is what a store finds a taggable resource by, from its ARN.
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
