package connections

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/arn"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// TagOwner is the tagging check for connection ARNs: a connection's tags are
// managed in its environment account. The management account gets
// AccessDeniedException; anyone else, or an ARN that does not name the
// connection exactly, gets ResourceNotFoundException.
func (s *Service) TagOwner(ctx context.Context, caller auth.Caller, a arn.ARN) error {
	missing := tagging.NotFound(a.String())
	c, err := s.store.GetConnection(ctx, a.Region, a.ID())
	if errors.Is(err, store.ErrNotFound) {
		return missing
	}
	if err != nil {
		return family.Internal("get connection", err)
	}
	if ARN(c) != a.String() {
		return missing
	}
	switch caller.Account {
	case c.EnvironmentAccountID:
		return nil
	case c.ManagementAccountID:
		return fault.New(fault.AccessDenied, "Tags of environment account connection %s are managed by its environment account %s.", c.ID, c.EnvironmentAccountID)
	}
	return missing
}
