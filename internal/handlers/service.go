package handlers

import (
	"context"
	"errors"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/account"
	"github.com/openproton/openproton/internal/proton/components"
	"github.com/openproton/openproton/internal/proton/connections"
	"github.com/openproton/openproton/internal/proton/deployments"
	"github.com/openproton/openproton/internal/proton/environments"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/services"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/proton/templates"
)

// Service is the Proton API, backed by the domain services.
type Service struct {
	api.UnimplementedService
	Account      *account.Service
	Components   *components.Service
	Connections  *connections.Service
	Deployments  *deployments.Service
	Environments *environments.Service
	Services     *services.Service
	Tagging      *tagging.Service
	Templates    *templates.Service
}

var _ api.ProtonService = (*Service)(nil)

// Families returns the declarations of the families whose services s holds
// (they may be nil): the server builds tagging from them, and the tests
// check that the handlers implement exactly the operations they declare.
func (s *Service) Families() []family.Family {
	return []family.Family{s.Account.Family(), s.Components.Family(), s.Connections.Family(), s.Deployments.Family(), s.Environments.Family(),
		s.Services.Family(), s.Tagging.Family(), s.Templates.Family()}
}

// Implemented lists the operations that the handlers implement: those that
// do not answer NotImplementedException. Each is probed with no caller and no
// services, which every implemented operation refuses (or panics on) before
// it touches anything.
func Implemented() []string {
	var out []string
	for _, op := range api.Operations() {
		err := func() (err error) {
			defer func() {
				if recover() != nil {
					err = errors.New("panicked")
				}
			}()
			_, err = op.Call(context.Background(), &Service{}, op.NewInput())
			return err
		}()
		if !fault.Is(err, fault.NotImplemented) {
			out = append(out, op.Name)
		}
	}
	return out
}

// callerOf returns the authenticated caller; the protocol layer always sets
// one before an operation runs.
func callerOf(ctx context.Context) (auth.Caller, error) {
	c, ok := auth.CallerFrom(ctx)
	if !ok {
		return c, errors.New("no authenticated caller in the request context")
	}
	return c, nil
}

// withCaller runs call as the request's caller.
func withCaller[T any](ctx context.Context, call func(auth.Caller) (T, error)) (T, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return call(caller)
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

// opt returns s, or nil when *s is "" (an absent optional member). Unlike
// ptr it allocates nothing: the answer points into the caller's value.
func opt(s *string) *string {
	if *s == "" {
		return nil
	}
	return s
}

// size returns *p as an int, or 0 for nil.
func size(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}
