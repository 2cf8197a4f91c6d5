package storetest

import (
	"testing"

	"github.com/openproton/openproton/internal/store"
)

func ptr(s string) *string { return &s }

func testUpdateRoles(t *testing.T, h Harness) {
	open := statuses(store.StatusPending, store.StatusConnected)
	update := func(x *suite, p store.UpdateRolesParams) (store.Connection, error) {
		return x.s.UpdateConnectionRoles(x.ctx, p)
	}

	run(t, h, "ReplacesGivenRolesOnly", func(x *suite) {
		c := x.add(func(c *store.Connection) { c.ComponentRoleArn = "arn:aws:iam::" + acctE + ":role/component" })
		got, err := update(x, store.UpdateRolesParams{
			Region: regionA, ID: c.ID, CodebuildRoleArn: ptr("arn:aws:iam::" + acctE + ":role/codebuild-2"),
			From: open, Now: at(100),
		})
		if err != nil {
			x.t.Fatalf("UpdateConnectionRoles: %v", err)
		}
		want := c
		want.CodebuildRoleArn, want.LastModifiedAt = "arn:aws:iam::"+acctE+":role/codebuild-2", at(100)
		x.checkConn("UpdateConnectionRoles", got, want)
		x.checkConn("GetConnection", x.get(regionA, c.ID), want)
	})

	run(t, h, "EmptyRoleClears", func(x *suite) {
		c := x.add(func(c *store.Connection) { c.CodebuildRoleArn = "arn:aws:iam::" + acctE + ":role/codebuild" })
		got, err := update(x, store.UpdateRolesParams{
			Region: regionA, ID: c.ID, RoleArn: ptr("arn:aws:iam::" + acctE + ":role/env-2"), CodebuildRoleArn: ptr(""),
			ComponentRoleArn: ptr("arn:aws:iam::" + acctE + ":role/component"), From: open, Now: at(100),
		})
		if err != nil {
			x.t.Fatalf("UpdateConnectionRoles: %v", err)
		}
		want := c
		want.RoleArn, want.CodebuildRoleArn, want.ComponentRoleArn = "arn:aws:iam::"+acctE+":role/env-2", "", "arn:aws:iam::"+acctE+":role/component"
		want.LastModifiedAt = at(100)
		x.checkConn("UpdateConnectionRoles", got, want)
		x.checkConn("GetConnection", x.get(regionA, c.ID), want)
	})

	run(t, h, "StatusNeverChanges", func(x *suite) {
		c := x.add()
		connected := x.mustTransition(c.ID, store.StatusConnected, at(100))
		got, err := update(x, store.UpdateRolesParams{Region: regionA, ID: c.ID, RoleArn: ptr("arn:aws:iam::" + acctE + ":role/x"), From: open, Now: at(101)})
		if err != nil {
			x.t.Fatalf("UpdateConnectionRoles: %v", err)
		}
		if got.Status != store.StatusConnected || !got.RequestedAt.Equal(connected.RequestedAt) {
			x.t.Fatalf("UpdateConnectionRoles changed status or requestedAt: %+v", got)
		}
		p := x.add()
		got, err = update(x, store.UpdateRolesParams{Region: regionA, ID: p.ID, From: open, Now: at(102)})
		if err != nil {
			x.t.Fatalf("UpdateConnectionRoles with no role: %v", err)
		}
		want := p
		want.LastModifiedAt = at(102)
		x.checkConn("UpdateConnectionRoles with no role", got, want)
	})

	run(t, h, "ForbiddenStateReturnsCurrent", func(x *suite) {
		c := x.add()
		rejected := x.mustTransition(c.ID, store.StatusRejected, at(100))
		got, err := update(x, store.UpdateRolesParams{Region: regionA, ID: c.ID, RoleArn: ptr("arn:aws:iam::" + acctE + ":role/x"), From: open, Now: at(101)})
		wantErr(x.t, "UpdateConnectionRoles on REJECTED", err, store.ErrConditionFailed)
		x.checkConn("UpdateConnectionRoles failure", got, rejected)
		x.checkConn("GetConnection", x.get(regionA, c.ID), rejected)
	})

	run(t, h, "UnknownIsNotFound", func(x *suite) {
		c := x.add()
		_, err := update(x, store.UpdateRolesParams{Region: regionA, ID: uid(999), RoleArn: ptr("r"), From: open, Now: at(100)})
		wantErr(x.t, "UpdateConnectionRoles unknown id", err, store.ErrNotFound)
		_, err = update(x, store.UpdateRolesParams{Region: regionB, ID: c.ID, RoleArn: ptr("r"), From: open, Now: at(100)})
		wantErr(x.t, "UpdateConnectionRoles in another region", err, store.ErrNotFound)
		x.checkConn("GetConnection", x.get(regionA, c.ID), c)
	})
}
