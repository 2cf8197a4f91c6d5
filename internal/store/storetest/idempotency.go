package storetest

import (
	"testing"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// tokenFor returns a client token of acctE in regionA for the create
// operation.
func tokenFor(token, fingerprint string, expiresAt time.Time) *store.Idempotency {
	return &store.Idempotency{
		Key:         store.IdempotencyKey{Account: acctE, Region: regionA, Operation: opCreate, Token: token},
		Fingerprint: fingerprint,
		ExpiresAt:   expiresAt,
	}
}

// withToken returns create params for a fresh connection carrying tok, at
// now.
func (x *suite) withToken(tok *store.Idempotency, now time.Time, mods ...func(*store.Connection)) store.CreateConnectionParams {
	p := x.params(x.newConn(mods...))
	p.Token = tok
	p.Now = now
	p.Connection.RequestedAt, p.Connection.LastModifiedAt = now, now
	return p
}

// wantReplay expects p to replay want, unchanged.
func (x *suite) wantReplay(p store.CreateConnectionParams, want store.Connection) {
	x.t.Helper()
	got, replayed, err := x.s.CreateConnection(x.ctx, p)
	if err != nil {
		x.t.Fatalf("CreateConnection replay: %v", err)
	}
	if !replayed {
		x.t.Fatalf("CreateConnection replay: replayed = false, created %s instead of returning %s", got.ID, want.ID)
	}
	x.checkConn("CreateConnection replay", got, want)
	x.wantGone(p.Connection.Region, p.Connection.ID)
}

func testIdempotency(t *testing.T, h Harness) {
	const hours8 = 8 * 60

	run(t, h, "ReplayReturnsCurrentState", func(x *suite) {
		tok := tokenFor("token-1", "fp-1", at(hours8))
		p := x.withToken(tok, at(0))
		p.Tags = []store.Tag{{Key: "k", Value: "v"}}
		c := x.mustCreate(p)
		c = x.mustTransition(c.ID, store.StatusConnected, at(5))
		// The replay carries a new id, as a retried request would.
		x.wantReplay(x.withToken(tok, at(10)), c)
		wantIDs(x.t, "ListConnections after replay", x.listAll(regionA, acctE, store.AsEnvironmentAccount), c.ID)
		x.wantTags(arnOf(c), store.Tag{Key: "k", Value: "v"})
	})

	run(t, h, "ReplayIgnoresQuota", func(x *suite) {
		tok := tokenFor("token-1", "fp-1", at(hours8))
		p := x.withToken(tok, at(0))
		p.Quota = 1
		c := x.mustCreate(p)
		r := x.withToken(tok, at(1))
		r.Quota = 1
		x.wantReplay(r, c)
	})

	run(t, h, "FingerprintMismatch", func(x *suite) {
		x.mustCreate(x.withToken(tokenFor("token-1", "fp-1", at(hours8)), at(0)))
		p := x.withToken(tokenFor("token-1", "fp-2", at(hours8+1)), at(1))
		_, _, err := x.s.CreateConnection(x.ctx, p)
		wantErr(x.t, "CreateConnection with another fingerprint", err, store.ErrIdempotencyMismatch)
		x.wantGone(regionA, p.Connection.ID)
	})

	run(t, h, "TokenExpiringNowCreatesNew", func(x *suite) {
		tok := tokenFor("token-1", "fp-1", at(10))
		first := x.mustCreate(x.withToken(tok, at(0)))
		// ExpiresAt equal to Now is no longer live.
		second := x.mustCreate(x.withToken(tokenFor("token-1", "fp-1", at(10+hours8)), at(10)))
		if second.ID == first.ID {
			x.t.Fatal("expired token replayed")
		}
		x.wantReplay(x.withToken(tokenFor("token-1", "fp-1", at(11+hours8)), at(11)), second)
	})

	run(t, h, "ExpiredTokenIsReplaced", func(x *suite) {
		x.mustCreate(x.withToken(tokenFor("token-1", "fp-1", at(10)), at(0)))
		// An expired token does not fail on a new fingerprint: it is replaced.
		second := x.mustCreate(x.withToken(tokenFor("token-1", "fp-2", at(20+hours8)), at(20)))
		x.wantReplay(x.withToken(tokenFor("token-1", "fp-2", at(21+hours8)), at(21)), second)
		_, _, err := x.s.CreateConnection(x.ctx, x.withToken(tokenFor("token-1", "fp-1", at(22+hours8)), at(22)))
		wantErr(x.t, "CreateConnection with the replaced fingerprint", err, store.ErrIdempotencyMismatch)
	})

	run(t, h, "TokenOfDeletedConnectionCreatesNew", func(x *suite) {
		tok := tokenFor("token-1", "fp-1", at(hours8))
		first := x.mustCreate(x.withToken(tok, at(0)))
		x.mustDelete(first, at(1))
		second := x.mustCreate(x.withToken(tok, at(2)))
		x.wantReplay(x.withToken(tok, at(3)), second)
	})

	run(t, h, "LiveTokenOfDeletedConnectionStillChecksFingerprint", func(x *suite) {
		first := x.mustCreate(x.withToken(tokenFor("token-1", "fp-1", at(hours8)), at(0)))
		x.mustDelete(first, at(1))
		_, _, err := x.s.CreateConnection(x.ctx, x.withToken(tokenFor("token-1", "fp-2", at(hours8)), at(2)))
		wantErr(x.t, "CreateConnection with another fingerprint", err, store.ErrIdempotencyMismatch)
	})

	run(t, h, "TokensAreScoped", func(x *suite) {
		base := tokenFor("token-1", "fp-1", at(hours8))
		first := x.mustCreate(x.withToken(base, at(0)))
		scoped := []struct {
			name string
			tok  store.Idempotency
			mod  func(*store.Connection)
		}{
			{"account", store.Idempotency{Key: store.IdempotencyKey{Account: acctX, Region: regionA, Operation: opCreate, Token: "token-1"}},
				func(c *store.Connection) { c.EnvironmentAccountID = acctX }},
			{"region", store.Idempotency{Key: store.IdempotencyKey{Account: acctE, Region: regionB, Operation: opCreate, Token: "token-1"}},
				func(c *store.Connection) { c.Region = regionB }},
			{"operation", store.Idempotency{Key: store.IdempotencyKey{Account: acctE, Region: regionA, Operation: "OtherOperation", Token: "token-1"}}, nil},
			{"exact string", store.Idempotency{Key: store.IdempotencyKey{Account: acctE, Region: regionA, Operation: opCreate, Token: "TOKEN-1"}}, nil},
		}
		for i, sc := range scoped {
			tok := sc.tok
			// Another fingerprint too: a shared token would fail with a
			// mismatch instead of creating.
			tok.Fingerprint, tok.ExpiresAt = "fp-other", at(hours8)
			mods := []func(*store.Connection){}
			if sc.mod != nil {
				mods = append(mods, sc.mod)
			}
			c := x.mustCreate(x.withToken(&tok, at(i+1), mods...))
			x.wantReplay(x.withToken(&tok, at(i+10), mods...), c)
		}
		x.wantReplay(x.withToken(base, at(20)), first)
	})

	run(t, h, "FailedCreateRecordsNoToken", func(x *suite) {
		x.add()
		p := x.withToken(tokenFor("token-1", "fp-1", at(hours8)), at(1))
		p.Quota = 1
		_, _, err := x.s.CreateConnection(x.ctx, p)
		wantErr(x.t, "CreateConnection over quota", err, store.ErrQuotaExceeded)
		// Had the token been kept, another fingerprint would be a mismatch.
		q := x.withToken(tokenFor("token-1", "fp-2", at(hours8)), at(2))
		q.Quota = 2
		x.mustCreate(q)
	})
}
