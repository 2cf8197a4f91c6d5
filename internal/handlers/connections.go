package handlers

import (
	"context"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/connections"
	"github.com/openproton/openproton/internal/store"
)

// connectionValues holds the values a connection's answer derives from its
// row.
type connectionValues struct {
	arn   string
	times [2]api.Time
}

// connectionOf is the answer form of *c; ListEnvironmentAccountConnections
// answers its Summary.
func connectionOf(c *store.Connection, a *connectionValues) api.EnvironmentAccountConnection {
	a.arn = connections.ARN(*c)
	return api.EnvironmentAccountConnection{
		Arn:                  &a.arn,
		CodebuildRoleArn:     opt(&c.CodebuildRoleArn),
		ComponentRoleArn:     opt(&c.ComponentRoleArn),
		EnvironmentAccountId: opt(&c.EnvironmentAccountID),
		EnvironmentName:      opt(&c.EnvironmentName),
		Id:                   opt(&c.ID),
		LastModifiedAt:       stamp(&a.times[1], c.LastModifiedAt),
		ManagementAccountId:  opt(&c.ManagementAccountID),
		RequestedAt:          stamp(&a.times[0], c.RequestedAt),
		RoleArn:              opt(&c.RoleArn),
		Status:               opt((*string)(&c.Status)),
	}
}

func tagsIn(in []api.Tag) []store.Tag {
	out := make([]store.Tag, len(in))
	for i, t := range in {
		out[i] = store.Tag{Key: str(t.Key), Value: str(t.Value)}
	}
	return out
}

// CreateEnvironmentAccountConnection requests a connection from the caller's account.
func (s *Service) CreateEnvironmentAccountConnection(ctx context.Context, in *api.CreateEnvironmentAccountConnectionInput) (*api.CreateEnvironmentAccountConnectionOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.Connections.Create(ctx, caller, connections.CreateInput{
		ManagementAccountID: str(in.ManagementAccountId),
		EnvironmentName:     str(in.EnvironmentName),
		RoleArn:             str(in.RoleArn),
		CodebuildRoleArn:    str(in.CodebuildRoleArn),
		ComponentRoleArn:    str(in.ComponentRoleArn),
		Tags:                tagsIn(in.Tags),
		ClientToken:         str(in.ClientToken),
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateEnvironmentAccountConnectionOutput{EnvironmentAccountConnection: one(c, connectionOf)}, nil
}

// connection runs one domain call on a single connection as the caller and
// returns the connection in its output form.
func (s *Service) connection(ctx context.Context, call func(auth.Caller) (store.Connection, error)) (*api.EnvironmentAccountConnection, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := call(caller)
	if err != nil {
		return nil, err
	}
	return one(c, connectionOf), nil
}

// GetEnvironmentAccountConnection reads a connection as either party.
func (s *Service) GetEnvironmentAccountConnection(ctx context.Context, in *api.GetEnvironmentAccountConnectionInput) (*api.GetEnvironmentAccountConnectionOutput, error) {
	c, err := s.connection(ctx, func(caller auth.Caller) (store.Connection, error) { return s.Connections.Get(ctx, caller, str(in.Id)) })
	if err != nil {
		return nil, err
	}
	return &api.GetEnvironmentAccountConnectionOutput{EnvironmentAccountConnection: c}, nil
}

// AcceptEnvironmentAccountConnection accepts a connection as its management account.
func (s *Service) AcceptEnvironmentAccountConnection(ctx context.Context, in *api.AcceptEnvironmentAccountConnectionInput) (*api.AcceptEnvironmentAccountConnectionOutput, error) {
	c, err := s.connection(ctx, func(caller auth.Caller) (store.Connection, error) {
		return s.Connections.Accept(ctx, caller, str(in.Id))
	})
	if err != nil {
		return nil, err
	}
	return &api.AcceptEnvironmentAccountConnectionOutput{EnvironmentAccountConnection: c}, nil
}

// RejectEnvironmentAccountConnection rejects a connection as its management account.
func (s *Service) RejectEnvironmentAccountConnection(ctx context.Context, in *api.RejectEnvironmentAccountConnectionInput) (*api.RejectEnvironmentAccountConnectionOutput, error) {
	c, err := s.connection(ctx, func(caller auth.Caller) (store.Connection, error) {
		return s.Connections.Reject(ctx, caller, str(in.Id))
	})
	if err != nil {
		return nil, err
	}
	return &api.RejectEnvironmentAccountConnectionOutput{EnvironmentAccountConnection: c}, nil
}

// UpdateEnvironmentAccountConnection replaces roles as the environment account.
func (s *Service) UpdateEnvironmentAccountConnection(ctx context.Context, in *api.UpdateEnvironmentAccountConnectionInput) (*api.UpdateEnvironmentAccountConnectionOutput, error) {
	roles := connections.UpdateInput{RoleArn: in.RoleArn, CodebuildRoleArn: in.CodebuildRoleArn, ComponentRoleArn: in.ComponentRoleArn}
	c, err := s.connection(ctx, func(caller auth.Caller) (store.Connection, error) {
		return s.Connections.Update(ctx, caller, str(in.Id), roles)
	})
	if err != nil {
		return nil, err
	}
	return &api.UpdateEnvironmentAccountConnectionOutput{EnvironmentAccountConnection: c}, nil
}

// DeleteEnvironmentAccountConnection deletes a connection as the environment
// account; a repeated delete answers an empty output.
func (s *Service) DeleteEnvironmentAccountConnection(ctx context.Context, in *api.DeleteEnvironmentAccountConnectionInput) (*api.DeleteEnvironmentAccountConnectionOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	c, deleted, err := s.Connections.Delete(ctx, caller, str(in.Id))
	if err != nil {
		return nil, err
	}
	if !deleted {
		return &api.DeleteEnvironmentAccountConnectionOutput{}, nil
	}
	return &api.DeleteEnvironmentAccountConnectionOutput{EnvironmentAccountConnection: one(c, connectionOf)}, nil
}

// ListEnvironmentAccountConnections lists the caller's connections in one role.
func (s *Service) ListEnvironmentAccountConnections(ctx context.Context, in *api.ListEnvironmentAccountConnectionsInput) (*api.ListEnvironmentAccountConnectionsOutput, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, next, err := s.Connections.List(ctx, caller, connections.ListInput{
		RequestedBy:     str(in.RequestedBy),
		EnvironmentName: str(in.EnvironmentName),
		Statuses:        in.Statuses,
		MaxResults:      size(in.MaxResults),
		NextToken:       str(in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	return &api.ListEnvironmentAccountConnectionsOutput{
		EnvironmentAccountConnections: summaries(rows, connectionOf, (*api.EnvironmentAccountConnection).Summary),
		NextToken:                     ptr(next),
	}, nil
}
