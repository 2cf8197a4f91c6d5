package connections

import (
	"context"
	"encoding/binary"
	"sort"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
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
		pos, err := s.pages.Decode(binding, in.NextToken)
		if err != nil || len(pos) < 8 {
			return nil, "", fault.New(fault.Validation, "The nextToken is not valid for this request.")
		}
		q.After = &store.Cursor{RequestedAt: time.UnixMilli(int64(binary.BigEndian.Uint64(pos))).UTC(), ID: string(pos[8:])}
	}
	limit := in.MaxResults
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxPageSize
	}
	q.Limit = limit + 1
	rows, err := s.store.ListConnections(ctx, q)
	if err != nil {
		return nil, "", internal("list connections", err)
	}
	if len(rows) <= limit {
		return rows, "", nil
	}
	rows = rows[:limit]
	last := rows[limit-1]
	pos := binary.BigEndian.AppendUint64(nil, uint64(last.RequestedAt.UnixMilli()))
	return rows, s.pages.Encode(binding, append(pos, last.ID...)), nil
}

// listBinding ties a token to the caller and the filters of the query that
// issued it; the page size may change between pages.
func listBinding(caller auth.Caller, in ListInput) string {
	st := append([]string(nil), in.Statuses...)
	sort.Strings(st)
	return strings.Join([]string{"ListEnvironmentAccountConnections", caller.Account, caller.Region, in.RequestedBy, in.EnvironmentName, strings.Join(st, ",")}, "\x00")
}
