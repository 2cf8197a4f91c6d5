package handlers

import (
	"context"

	"github.com/openproton/openproton/internal/api"
)

// TagResource adds or overwrites customer tags of a resource.
func (s *Service) TagResource(ctx context.Context, in *api.TagResourceInput) (*api.TagResourceOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Tagging.Tag(ctx, caller, str(in.ResourceArn), tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	return &api.TagResourceOutput{}, nil
}

// UntagResource removes customer tags of a resource.
func (s *Service) UntagResource(ctx context.Context, in *api.UntagResourceInput) (*api.UntagResourceOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Tagging.Untag(ctx, caller, str(in.ResourceArn), in.TagKeys); err != nil {
		return nil, err
	}
	return &api.UntagResourceOutput{}, nil
}

// ListTagsForResource lists customer tags of a resource.
func (s *Service) ListTagsForResource(ctx context.Context, in *api.ListTagsForResourceInput) (*api.ListTagsForResourceOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	tags, next, err := s.Tagging.List(ctx, caller, str(in.ResourceArn), size(in.MaxResults), str(in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &api.ListTagsForResourceOutput{Tags: make([]api.Tag, len(tags)), NextToken: ptr(next)}
	for i, t := range tags {
		out.Tags[i] = api.Tag{Key: ptr(t.Key), Value: &tags[i].Value}
	}
	return out, nil
}
