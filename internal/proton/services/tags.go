package services

import (
	"context"
	"errors"
	"strings"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// TagOwner is the tagging check for service ARNs: a service's tags and its
// instances' are managed in the account that owns the service. Any other
// caller, or an ARN that names neither a service nor an instance exactly
// (a pipeline's takes no tags), gets ResourceNotFoundException.
func (s *Service) TagOwner(ctx context.Context, caller auth.Caller, a arn.ARN) error {
	if a.Account != caller.Account {
		return tagging.NotFound(a.String())
	}
	svc, rest, isInstance := strings.Cut(a.ID(), "/")
	var err error
	var got string
	if !isInstance {
		var v store.Service
		v, err = s.store.GetService(ctx, a.Account, a.Region, svc)
		got = ARN(v)
	} else if inst, ok := strings.CutPrefix(rest, "service-instance/"); ok {
		var t store.ServiceTarget
		t, err = s.store.GetServiceInstance(ctx, a.Account, a.Region, svc, inst)
		got = TargetARN(t)
	} else {
		return tagging.NotFound(a.String())
	}
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && got != a.String():
		return tagging.NotFound(a.String())
	case err != nil:
		return family.Internal("get service", err)
	}
	return nil
}
