package connections

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
)

// CreateInput is a request to connect, made by the environment account.
type CreateInput struct {
	ManagementAccountID string
	EnvironmentName     string
	RoleArn             string
	CodebuildRoleArn    string
	ComponentRoleArn    string
	Tags                []store.Tag
	ClientToken         string // "" when the request carried none
}

// fingerprint identifies the parameters of a create, for client tokens. Tags
// are compared as a set.
func (in CreateInput) fingerprint() string {
	tags := append([]store.Tag(nil), in.Tags...)
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	b, _ := json.Marshal([]any{in.ManagementAccountID, in.EnvironmentName, in.RoleArn, in.CodebuildRoleArn, in.ComponentRoleArn, tags})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Create stores a new PENDING connection from caller (the environment
// account) to in.ManagementAccountID.
func (s *Service) Create(ctx context.Context, caller auth.Caller, in CreateInput) (store.Connection, error) {
	if in.RoleArn == "" && in.CodebuildRoleArn == "" {
		return store.Connection{}, fault.New(fault.Validation, "At least one of roleArn or codebuildRoleArn must be provided.")
	}
	if in.ManagementAccountID == caller.Account {
		return store.Connection{}, fault.New(fault.Validation, "The management account %s cannot be the environment account that requests the connection.", caller.Account)
	}
	if err := tagging.CheckCustomerTags(in.Tags); err != nil {
		return store.Connection{}, err
	}
	now := s.clock()
	c := store.Connection{
		ID:                   s.newID(),
		Region:               caller.Region,
		EnvironmentAccountID: caller.Account,
		ManagementAccountID:  in.ManagementAccountID,
		EnvironmentName:      in.EnvironmentName,
		RoleArn:              in.RoleArn,
		CodebuildRoleArn:     in.CodebuildRoleArn,
		ComponentRoleArn:     in.ComponentRoleArn,
		Status:               store.StatusPending,
		RequestedAt:          now,
		LastModifiedAt:       now,
	}
	p := store.CreateConnectionParams{Connection: c, Tags: in.Tags, ARN: ARN(c), Quota: s.quota, Now: now}
	if in.ClientToken != "" {
		p.Token = &store.Idempotency{
			Key:         store.IdempotencyKey{Account: caller.Account, Region: caller.Region, Operation: "CreateEnvironmentAccountConnection", Token: in.ClientToken},
			Fingerprint: in.fingerprint(),
			ExpiresAt:   now.Add(s.tokenTTL),
		}
	}
	created, _, err := s.store.CreateConnection(ctx, p)
	switch {
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return store.Connection{}, fault.New(fault.Validation, "Idempotent parameter mismatch")
	case errors.Is(err, store.ErrQuotaExceeded):
		return store.Connection{}, fault.New(fault.QuotaExceeded,
			"Account %s has reached its quota of %d environment account connections in %s (PENDING and CONNECTED connections count).", caller.Account, s.quota, caller.Region)
	case err != nil:
		return store.Connection{}, family.Internal("create connection", err)
	}
	return created, nil
}
