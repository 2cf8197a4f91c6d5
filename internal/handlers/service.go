package handlers

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/proton/connections"
	"github.com/openproton/openproton/internal/proton/tagging"
)

// Service is the Proton API, backed by the domain services.
type Service struct {
	api.UnimplementedService
	Connections *connections.Service
	Tagging     *tagging.Service
}

var _ api.ProtonService = (*Service)(nil)

// callerOf returns the authenticated caller; the protocol layer always sets
// one before an operation runs.
func callerOf(ctx context.Context) (auth.Caller, error) {
	c, ok := auth.CallerFrom(ctx)
	if !ok {
		return c, errors.New("no authenticated caller in the request context")
	}
	return c, nil
}

// str returns *p, or "" for nil.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ptr returns a pointer to s, or nil for "" (absent optional members).
func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// size returns *p as an int, or 0 for nil.
func size(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}
