// Package arn builds and parses the ARNs of Proton resources:
// arn:{partition}:proton:{region}:{account}:{resource}.
package arn

import (
	"strings"

	"github.com/openproton/openproton/internal/auth"
)

// ARN is a parsed Proton resource ARN.
type ARN struct {
	Partition string
	Region    string
	Account   string
	Resource  string // for example environment-account-connection/{id}
}

// String renders the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":proton:" + a.Region + ":" + a.Account + ":" + a.Resource
}

// New returns the ARN of resource in (account, region), in the region's partition.
func New(region, account, resource string) ARN {
	return ARN{Partition: auth.Partition(region), Region: region, Account: account, Resource: resource}
}

// Parse parses a Proton ARN; ok is false for anything else, including an ARN
// whose partition does not match its region.
func Parse(s string) (a ARN, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "proton" {
		return ARN{}, false
	}
	a = ARN{Partition: parts[1], Region: parts[3], Account: parts[4], Resource: parts[5]}
	if a.Region == "" || a.Account == "" || a.Resource == "" || auth.Partition(a.Region) != a.Partition {
		return ARN{}, false
	}
	return a, true
}

// Type returns the resource type, the part of Resource before the first '/'.
func (a ARN) Type() string {
	t, _, _ := strings.Cut(a.Resource, "/")
	return t
}

// ID returns the part of Resource after the first '/'.
func (a ARN) ID() string {
	_, id, _ := strings.Cut(a.Resource, "/")
	return id
}
