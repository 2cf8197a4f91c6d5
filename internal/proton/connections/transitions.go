package connections

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// Accept moves a PENDING connection to CONNECTED. Only the management account
// may accept; accepting a CONNECTED connection returns it unchanged.
func (s *Service) Accept(ctx context.Context, caller auth.Caller, id string) (store.Connection, error) {
	c, err := s.load(ctx, caller, id)
	if err != nil {
		return c, err
	}
	if err := requireManagement(caller, c, "accept"); err != nil {
		return store.Connection{}, err
	}
	switch c.Status {
	case store.StatusConnected:
		return c, nil
	case store.StatusRejected:
		return store.Connection{}, rejectedConflict(c, "accepted")
	}
	out, err := s.transition(ctx, c, store.StatusConnected, false)
	if errors.Is(err, store.ErrConditionFailed) {
		// Another change won the race: a second accept is the same outcome,
		// anything else conflicts with this one.
		if out.Status == store.StatusConnected {
			return out, nil
		}
		return store.Connection{}, raceConflict(out)
	}
	return out, err
}

// Reject moves a PENDING or CONNECTED connection to REJECTED, unless an
// environment uses it. Only the management account may reject; rejecting a
// REJECTED connection returns it unchanged.
func (s *Service) Reject(ctx context.Context, caller auth.Caller, id string) (store.Connection, error) {
	c, err := s.load(ctx, caller, id)
	if err != nil {
		return c, err
	}
	if err := requireManagement(caller, c, "reject"); err != nil {
		return store.Connection{}, err
	}
	if c.Status == store.StatusRejected {
		return c, nil
	}
	out, err := s.transition(ctx, c, store.StatusRejected, true)
	var inUse *store.InUseError
	switch {
	case errors.As(err, &inUse):
		return store.Connection{}, fault.New(fault.Conflict,
			"Environment account connection %s cannot be rejected while environment %s uses it. Delete that environment first.", c.ID, inUse.Environment)
	case errors.Is(err, store.ErrConditionFailed):
		if out.Status == store.StatusRejected {
			return out, nil
		}
		return store.Connection{}, raceConflict(out)
	}
	return out, err
}

// transition changes c's status from the status the caller observed, so that
// a concurrent change makes this one fail instead of silently stacking on it.
func (s *Service) transition(ctx context.Context, c store.Connection, to store.ConnectionStatus, requireUnused bool) (store.Connection, error) {
	out, err := s.store.TransitionConnection(ctx, store.TransitionParams{
		Region: c.Region, ID: c.ID, From: []store.ConnectionStatus{c.Status}, To: to, RequireUnused: requireUnused, Now: s.clock(),
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return out, notFound(c.ID)
	case err == nil, errors.Is(err, store.ErrConditionFailed):
		return out, err
	}
	var inUse *store.InUseError
	if errors.As(err, &inUse) {
		return out, err
	}
	return out, family.Internal("transition connection", err)
}

func rejectedConflict(c store.Connection, verb string) error {
	return fault.New(fault.Conflict, "Environment account connection %s is REJECTED and cannot be %s.", c.ID, verb)
}

func raceConflict(now store.Connection) error {
	return fault.New(fault.Conflict, "Environment account connection %s was changed concurrently and is now %s.", now.ID, now.Status)
}
