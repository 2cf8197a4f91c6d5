package connections

import (
	"context"
	"sort"
	"strings"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/paging"
	"github.com/openproton/openproton/internal/store"
)

// ListInput is a list request. RequestedBy is MANAGEMENT_ACCOUNT or
// ENVIRONMENT_ACCOUNT.
type ListInput struct {
	RequestedBy     string
	EnvironmentName string
	Statuses        []string
	MaxResults      int // 0 means the default
	NextToken       string
}

// List returns one page of the caller's connections, ordered by requestedAt
// then id, and the token of the next page ("" on the last page).
func (s *Service) List(ctx context.Context, caller auth.Caller, in ListInput) ([]store.Connection, string, error) {
	q := store.ListConnectionsQuery{Region: caller.Region, Account: caller.Account, EnvironmentName: in.EnvironmentName}
	if in.RequestedBy == "MANAGEMENT_ACCOUNT" {
		q.Role = store.AsManagementAccount
	}
	for _, st := range in.Statuses {
		q.Statuses = append(q.Statuses, store.ConnectionStatus(st))
	}
	binding := listBinding(caller, in)
	if in.NextToken != "" {
		at, id, err := paging.DecodeTimeID(s.pages, binding, in.NextToken)
		if err != nil {
			return nil, "", err
		}
		q.After = &store.Cursor{RequestedAt: at, ID: id}
	}
	limit := paging.Size(in.MaxResults, MaxPageSize)
	q.Limit = limit + 1
	rows, err := s.store.ListConnections(ctx, q)
	if err != nil {
		return nil, "", family.Internal("list connections", err)
	}
	rows, next := paging.Cut(s.pages, binding, rows, limit, func(c store.Connection) []byte { return paging.TimeID(c.RequestedAt, c.ID) })
	return rows, next, nil
}

// listBinding ties a token to the caller and the filters of the query that
// issued it; the page size may change between pages.
func listBinding(caller auth.Caller, in ListInput) string {
	st := append([]string(nil), in.Statuses...)
	sort.Strings(st)
	return paging.Binding("ListEnvironmentAccountConnections", caller.Account, caller.Region, in.RequestedBy, in.EnvironmentName, strings.Join(st, ","))
}
