package templates

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/paging"
	"github.com/openproton/openproton/internal/store"
)

// ListTemplates returns one page of the caller's templates of one kind,
// ordered by name, and the token of the next page ("" on the last).
func (s *Service) ListTemplates(ctx context.Context, caller auth.Caller, kind store.TemplateKind, maxResults int, nextToken string) ([]store.Template, string, error) {
	binding := paging.Binding("ListTemplates", string(kind), caller.Account, caller.Region)
	return paging.ByName(s.pages, binding, nextToken, maxResults, MaxPageSize, func(after string, limit int) ([]store.Template, error) {
		rows, err := s.store.ListTemplates(ctx, store.ListTemplatesQuery{Account: caller.Account, Region: caller.Region, Kind: kind,
			AfterName: after, Limit: limit})
		if err != nil {
			return nil, family.Internal("list templates", err)
		}
		return rows, nil
	}, func(t store.Template) string { return t.Name })
}

// ListVersions returns one page of a template's versions (of one major when
// major is not ""), ordered by major then minor, and the token of the next
// page.
func (s *Service) ListVersions(ctx context.Context, caller auth.Caller, kind store.TemplateKind, name, major string, maxResults int, nextToken string) ([]store.TemplateVersion, string, error) {
	k := keyOf(caller, kind, name)
	binding := paging.Binding("ListTemplateVersions", string(kind), caller.Account, caller.Region, name, major)
	q := store.ListVersionsQuery{Template: k}
	if major != "" {
		m, ok := parsePart(major)
		if !ok {
			m = -1 // no such major: the template's existence still decides
		}
		q.Major = &m
	}
	if nextToken != "" {
		pos, err := paging.Decode(s.pages, binding, nextToken)
		if err != nil || len(pos) != 16 {
			return nil, "", paging.BadToken()
		}
		q.After = &store.VersionNumber{Major: int64(binary.BigEndian.Uint64(pos)), Minor: int64(binary.BigEndian.Uint64(pos[8:]))}
	}
	limit := paging.Size(maxResults, MaxPageSize)
	q.Limit = limit + 1
	rows, err := s.store.ListTemplateVersions(ctx, q)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", templateNotFound(k)
	}
	if err != nil {
		return nil, "", family.Internal("list template versions", err)
	}
	rows, next := paging.Cut(s.pages, binding, rows, limit, func(v store.TemplateVersion) []byte {
		return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(v.Major)), uint64(v.Minor))
	})
	return rows, next, nil
}
