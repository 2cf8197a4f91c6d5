package connections

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/store"
)

// UpdateInput names new roles; a nil role keeps its value.
type UpdateInput struct {
	RoleArn          *string
	CodebuildRoleArn *string
	ComponentRoleArn *string
}

// Update replaces roles of a PENDING or CONNECTED connection. Only the
// environment account may update; the status never changes.
func (s *Service) Update(ctx context.Context, caller auth.Caller, id string, in UpdateInput) (store.Connection, error) {
	c, err := s.load(ctx, caller, id)
	if err != nil {
		return c, err
	}
	if err := requireEnvironment(caller, c, "update"); err != nil {
		return store.Connection{}, err
	}
	if c.Status == store.StatusRejected {
		return store.Connection{}, rejectedConflict(c, "updated")
	}
	out, err := s.store.UpdateConnectionRoles(ctx, store.UpdateRolesParams{
		Region: c.Region, ID: c.ID, RoleArn: in.RoleArn, CodebuildRoleArn: in.CodebuildRoleArn, ComponentRoleArn: in.ComponentRoleArn,
		From: []store.ConnectionStatus{store.StatusPending, store.StatusConnected}, Now: s.clock(),
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Connection{}, notFound(id)
	case errors.Is(err, store.ErrConditionFailed):
		return store.Connection{}, rejectedConflict(out, "updated")
	case err != nil:
		return store.Connection{}, family.Internal("update connection", err)
	}
	return out, nil
}

// Delete removes a connection in any state, even one an environment uses. Only
// the environment account may delete. Deleting a connection this server
// deleted within the token TTL succeeds with deleted=false and no connection.
func (s *Service) Delete(ctx context.Context, caller auth.Caller, id string) (c store.Connection, deleted bool, err error) {
	c, err = s.load(ctx, caller, id)
	if fault.Is(err, fault.NotFound) {
		return store.Connection{}, false, s.deletedBefore(ctx, caller, id)
	}
	if err != nil {
		return c, false, err
	}
	if err := requireEnvironment(caller, c, "delete"); err != nil {
		return store.Connection{}, false, err
	}
	out, err := s.store.DeleteConnection(ctx, c.Region, c.ID, ARN(c), s.clock())
	if errors.Is(err, store.ErrNotFound) {
		// A concurrent delete won; this one is a retry of the same intent.
		return store.Connection{}, false, s.deletedBefore(ctx, caller, id)
	}
	if err != nil {
		return store.Connection{}, false, family.Internal("delete connection", err)
	}
	return out, true, nil
}

// deletedBefore decides a delete of an id that does not exist: nil when the
// caller's own connection was deleted recently, else the matching error.
func (s *Service) deletedBefore(ctx context.Context, caller auth.Caller, id string) error {
	// The tombstone is kept for both parties; the owner is the environment
	// account.
	t, err := s.store.Tombstone(ctx, store.Resource{Type: ResourceType, Account: caller.Account, Region: caller.Region, Key: id})
	if errors.Is(err, store.ErrNotFound) {
		return notFound(id)
	}
	if err != nil {
		return family.Internal("get tombstone", err)
	}
	if s.clock().Sub(t.DeletedAt) > s.tokenTTL {
		return notFound(id)
	}
	if caller.Account != t.Owner {
		return fault.New(fault.AccessDenied, "Only the environment account %s can delete environment account connection %s.", t.Owner, id)
	}
	return nil
}
