package storetest

import (
	"testing"

	"github.com/openproton/openproton/internal/store"
)

// createWithQuota creates a fresh connection built by newConn under quota
// and returns its id and the error.
func (x *suite) createWithQuota(quota int, mods ...func(*store.Connection)) (string, error) {
	p := x.params(x.newConn(mods...))
	p.Quota = quota
	_, _, err := x.s.CreateConnection(x.ctx, p)
	return p.Connection.ID, err
}

func (x *suite) wantQuotaExceeded(quota int, mods ...func(*store.Connection)) {
	x.t.Helper()
	id, err := x.createWithQuota(quota, mods...)
	wantErr(x.t, "CreateConnection at quota", err, store.ErrQuotaExceeded)
	x.wantGone(regionA, id)
}

func (x *suite) wantUnderQuota(quota int, mods ...func(*store.Connection)) {
	x.t.Helper()
	if _, err := x.createWithQuota(quota, mods...); err != nil {
		x.t.Fatalf("CreateConnection under quota %d: %v", quota, err)
	}
}

func testQuota(t *testing.T, h Harness) {
	run(t, h, "CountsPendingAndConnected", func(x *suite) {
		x.add()
		b := x.add()
		x.mustTransition(b.ID, store.StatusConnected, at(100))
		x.wantQuotaExceeded(2)
		x.wantUnderQuota(3)
	})

	run(t, h, "RejectedDoNotCount", func(x *suite) {
		a := x.add()
		x.add()
		x.wantQuotaExceeded(2)
		x.mustTransition(a.ID, store.StatusRejected, at(100))
		x.wantUnderQuota(2)
		x.wantQuotaExceeded(2)
	})

	run(t, h, "DeletedDoNotCount", func(x *suite) {
		a := x.add()
		x.wantQuotaExceeded(1)
		x.mustDelete(a, at(100))
		x.wantUnderQuota(1)
	})

	run(t, h, "PerEnvironmentAccountAndRegion", func(x *suite) {
		x.add()
		x.wantQuotaExceeded(1)
		x.wantUnderQuota(1, func(c *store.Connection) { c.Region = regionB })
		x.wantUnderQuota(1, func(c *store.Connection) { c.EnvironmentAccountID = acctX })
		// acctM manages connections but owns none: being the management
		// account does not count.
		x.wantUnderQuota(1, func(c *store.Connection) {
			c.EnvironmentAccountID, c.ManagementAccountID = acctM, acctE
		})
	})
}
