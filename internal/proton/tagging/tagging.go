// Package tagging implements TagResource, UntagResource and
// ListTagsForResource for every resource family.
//
// Customer tags are stored by resource ARN. A family makes its resources
// taggable by declaring a tag owner check for its ARN resource type
// (family.Resource); an ARN of any other type, of another region, or of a
// resource the caller cannot see is ResourceNotFoundException. Keys starting
// with "aws:" are reserved.
package tagging

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/paging"
	"github.com/openproton/openproton/internal/store"
)

// MaxTags is the number of customer tags a resource may carry.
const MaxTags = 50

// ReservedPrefix starts the keys of tags that only AWS may set.
const ReservedPrefix = "aws:"

// Service manages customer tags.
type Service struct {
	tags   store.Tags
	pages  *pagetoken.Codec
	owners map[string]family.Owner
}

// New returns a Service for the resources of families whose types declare
// a tag owner.
func New(tags store.Tags, pages *pagetoken.Codec, families []family.Family) *Service {
	owners := map[string]family.Owner{}
	for _, f := range families {
		for _, r := range f.Resources {
			if r.TagOwner != nil {
				owners[r.Type] = r.TagOwner
			}
		}
	}
	return &Service{tags: tags, pages: pages, owners: owners}
}

// Family declares the tagging operations, which work on the resources of
// every family.
func (s *Service) Family() family.Family {
	return family.Family{Name: "tagging", Operations: []string{"ListTagsForResource", "TagResource", "UntagResource"}}
}

// CheckCustomerTags refuses reserved keys and duplicate keys in one request.
func CheckCustomerTags(tags []store.Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.Key), ReservedPrefix) {
			return fault.New(fault.Validation, "Tag keys starting with %q are reserved for AWS use: %q.", ReservedPrefix, t.Key)
		}
		if seen[t.Key] {
			return fault.New(fault.Validation, "Tag key %q appears more than once.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// NotFound is the error for an ARN that names no resource the caller may
// see; it says no more, so that it tells nothing of other accounts.
func NotFound(resourceArn string) error {
	return fault.New(fault.NotFound, "Resource %s was not found.", resourceArn)
}

// resolve parses resourceArn and checks that the caller may manage its tags.
func (s *Service) resolve(ctx context.Context, caller auth.Caller, resourceArn string) error {
	a, ok := arn.Parse(resourceArn)
	if !ok || a.Region != caller.Region {
		return NotFound(resourceArn)
	}
	owner, ok := s.owners[a.Type()]
	if !ok {
		return NotFound(resourceArn)
	}
	return owner(ctx, caller, a)
}

// Tag adds or overwrites customer tags.
func (s *Service) Tag(ctx context.Context, caller auth.Caller, resourceArn string, tags []store.Tag) error {
	if err := CheckCustomerTags(tags); err != nil {
		return err
	}
	if err := s.resolve(ctx, caller, resourceArn); err != nil {
		return err
	}
	err := s.tags.TagResource(ctx, resourceArn, tags, MaxTags)
	if errors.Is(err, store.ErrTooManyTags) {
		return fault.New(fault.Validation, "A resource can have at most %d tags; this request would exceed that.", MaxTags)
	}
	if errors.Is(err, store.ErrNotFound) {
		// Deleted after the owner check: the write did not happen.
		return fault.New(fault.NotFound, "Resource %s was not found.", resourceArn)
	}
	if err != nil {
		return fmt.Errorf("tag resource: %w", err)
	}
	return nil
}

// Untag removes customer tags; absent keys are ignored.
func (s *Service) Untag(ctx context.Context, caller auth.Caller, resourceArn string, keys []string) error {
	for _, k := range keys {
		if strings.HasPrefix(strings.ToLower(k), ReservedPrefix) {
			return fault.New(fault.Validation, "Tag keys starting with %q are reserved for AWS use: %q.", ReservedPrefix, k)
		}
	}
	if err := s.resolve(ctx, caller, resourceArn); err != nil {
		return err
	}
	if err := s.tags.UntagResource(ctx, resourceArn, keys); err != nil {
		return fmt.Errorf("untag resource: %w", err)
	}
	return nil
}

// List returns one page of a resource's tags, ordered by key.
func (s *Service) List(ctx context.Context, caller auth.Caller, resourceArn string, maxResults int, nextToken string) ([]store.Tag, string, error) {
	if err := s.resolve(ctx, caller, resourceArn); err != nil {
		return nil, "", err
	}
	tags, err := s.tags.ListTags(ctx, resourceArn)
	if err != nil {
		return nil, "", fmt.Errorf("list tags: %w", err)
	}
	binding := paging.Binding("ListTagsForResource", caller.Account, resourceArn)
	start := 0
	if nextToken != "" {
		// The position is the last key returned; resume after it even if
		// tags changed in between.
		after, err := paging.DecodeName(s.pages, binding, nextToken)
		if err != nil {
			return nil, "", err
		}
		for start < len(tags) && tags[start].Key <= after {
			start++
		}
	}
	maxResults = paging.Size(maxResults, 100)
	end := min(start+maxResults, len(tags))
	page := tags[start:end]
	if end == len(tags) {
		return page, "", nil
	}
	return page, s.pages.Encode(binding, paging.Name(page[len(page)-1].Key)), nil
}
