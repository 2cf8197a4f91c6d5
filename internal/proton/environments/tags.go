package environments

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// TagOwner is the tagging check for environment ARNs: an environment's tags
// are managed in the account that owns it (its management account). Any
// other caller, or an ARN that does not name an environment exactly, gets
// ResourceNotFoundException.
func (s *Service) TagOwner(ctx context.Context, caller auth.Caller, a arn.ARN) error {
	if a.Account != caller.Account {
		return tagging.NotFound(a.String())
	}
	_, err := s.environmentAt(ctx, a)
	return err
}

// environmentAt returns the environment that a (an environment ARN in its
// own account and region) names exactly; anything else is
// ResourceNotFoundException for the ARN.
func (s *Service) environmentAt(ctx context.Context, a arn.ARN) (store.Environment, error) {
	e, err := s.store.GetEnvironment(ctx, a.Account, a.Region, a.ID())
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && ARN(e) != a.String():
		return store.Environment{}, tagging.NotFound(a.String())
	case err != nil:
		return store.Environment{}, family.Internal("get environment", err)
	}
	return e, nil
}
