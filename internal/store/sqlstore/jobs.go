package sqlstore

import (
	"context"
	"time"

	"github.com/openproton/openproton/internal/store"
)

const jobColumns = `region, kind, id, account, serial_key, seq, due_at_ms, lease_owner, lease_expires_at_ms,
	attempts, cancel_requested`

func scanJob(r Row) (store.Job, error) {
	var (
		j                 store.Job
		kind              string
		due, leaseExpires int64
	)
	err := r.Scan(&j.Region, &kind, &j.ID, &j.Account, &j.SerialKey, &j.Seq, &due, &j.LeaseOwner, &leaseExpires,
		&j.Attempts, &j.CancelRequested)
	j.Kind, j.DueAt, j.LeaseExpiresAt = store.JobKind(kind), fromMS(due), fromMS(leaseExpires)
	return j, err
}

// LeaseJob implements store.Jobs. Idle workers poll: a look through the
// read pool first keeps those polls off the single writer (SQLite) and out
// of transactions (PostgreSQL). The lease itself is one statement, whose
// inner SELECT locks the chosen row FOR UPDATE SKIP LOCKED on PostgreSQL, so
// that replicas polling at once take different jobs.
func (s *Store) LeaseJob(ctx context.Context, p store.LeaseJobParams) (store.Job, bool, error) {
	now := ms(p.Now)
	args := []any{now, now}
	due := `j.due_at_ms <= ? AND j.lease_expires_at_ms <= ?`
	if len(p.Kinds) > 0 {
		due += ` AND ` + in("j.kind", p.Kinds, &args)
	}
	var found bool
	if err := s.e.Reads().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM jobs j WHERE `+due+`)`, args...).Scan(&found); err != nil {
		return store.Job{}, false, s.errorf("lease job: %w", err)
	}
	if !found {
		return store.Job{}, false, nil
	}
	var (
		job store.Job
		ok  bool
	)
	err := s.e.Each(ctx, "lease job", func(q Q) error {
		var err error
		job, err = scanJob(q.QueryRow(ctx, `UPDATE jobs SET lease_owner = ?, lease_expires_at_ms = ?, attempts = attempts + 1
			WHERE (region, kind, id) = (SELECT j.region, j.kind, j.id FROM jobs j WHERE `+due+`
				AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.serial_key = j.serial_key AND e.seq < j.seq)
				ORDER BY j.due_at_ms, j.id LIMIT 1 `+s.e.Lock(SkipLocked)+`)
			RETURNING `+jobColumns, append([]any{p.Owner, ms(p.Until)}, args...)...))
		ok = err == nil
		return s.read(err, nil, "lease job")
	})
	return job, ok, err
}

// RenewJob implements store.Jobs.
func (s *Store) RenewJob(ctx context.Context, k store.JobKey, owner string, until time.Time) (store.Job, error) {
	var job store.Job
	err := s.e.Each(ctx, "renew job", func(q Q) error {
		var err error
		job, err = scanJob(q.QueryRow(ctx, `UPDATE jobs SET lease_expires_at_ms = ?
			WHERE region = ? AND kind = ? AND id = ? AND lease_owner = ? RETURNING `+jobColumns,
			ms(until), k.Region, string(k.Kind), k.ID, owner))
		return s.read(err, store.ErrLeaseLost, "renew job %s", k.ID)
	})
	return job, err
}

// ReleaseJob implements store.Jobs.
func (s *Store) ReleaseJob(ctx context.Context, k store.JobKey, owner string) error {
	return s.e.Each(ctx, "release job", func(q Q) error {
		if _, err := q.Exec(ctx, `UPDATE jobs SET lease_owner = '', lease_expires_at_ms = 0,
			attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
			WHERE region = ? AND kind = ? AND id = ? AND lease_owner = ?`, k.Region, string(k.Kind), k.ID, owner); err != nil {
			return s.errorf("release job %s: %w", k.ID, err)
		}
		return nil
	})
}

// RetryJob implements store.Jobs.
func (s *Store) RetryJob(ctx context.Context, k store.JobKey, owner string, dueAt time.Time) error {
	return s.e.Each(ctx, "retry job", func(q Q) error {
		n, err := q.Exec(ctx, `UPDATE jobs SET lease_owner = '', lease_expires_at_ms = 0, due_at_ms = ?
			WHERE region = ? AND kind = ? AND id = ? AND lease_owner = ?`, ms(dueAt), k.Region, string(k.Kind), k.ID, owner)
		if err != nil {
			return s.errorf("retry job %s: %w", k.ID, err)
		}
		return one(n, store.ErrLeaseLost)
	})
}

// enqueue inserts a job, in the transaction of the change that needs it.
func (s *Store) enqueue(ctx context.Context, tx Q, j store.Job) error {
	return s.insertJob(ctx, tx, j, "")
}

// insertJob inserts j, with onConflict ("" for none) deciding what happens
// to a job of the same key.
func (s *Store) insertJob(ctx context.Context, tx Q, j store.Job, onConflict string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO jobs (`+jobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, '', 0, 0, ?) `+onConflict,
		j.Region, string(j.Kind), j.ID, j.Account, j.SerialKey, j.Seq, ms(j.DueAt), j.CancelRequested); err != nil {
		return s.errorf("queue job %s: %w", j.ID, err)
	}
	return nil
}

// endJob deletes the job k, in the transaction of the change that ends its
// work. With owner set, owner must hold the job (even if its lease ran out,
// as long as nobody else took it): store.ErrLeaseLost otherwise, a job that
// is gone included. With owner "", the work waited for no worker, so there
// must be no job: store.ErrConditionFailed when there is one.
func (s *Store) endJob(ctx context.Context, tx Q, k store.JobKey, owner string) error {
	if owner == "" {
		var queued bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM jobs WHERE region = ? AND kind = ? AND id = ?)`,
			k.Region, string(k.Kind), k.ID).Scan(&queued); err != nil {
			return s.errorf("end job %s: %w", k.ID, err)
		}
		if queued {
			return store.ErrConditionFailed
		}
		return nil
	}
	n, err := tx.Exec(ctx, `DELETE FROM jobs WHERE region = ? AND kind = ? AND id = ? AND lease_owner = ?`,
		k.Region, string(k.Kind), k.ID, owner)
	if err != nil {
		return s.errorf("end job %s: %w", k.ID, err)
	}
	return one(n, store.ErrLeaseLost)
}

// dropJob deletes the job k whoever holds it, as deleting the resource it
// works on does; its worker finds its lease lost.
func (s *Store) dropJob(ctx context.Context, tx Q, k store.JobKey) error {
	if _, err := tx.Exec(ctx, `DELETE FROM jobs WHERE region = ? AND kind = ? AND id = ?`, k.Region, string(k.Kind), k.ID); err != nil {
		return s.errorf("drop job %s: %w", k.ID, err)
	}
	return nil
}

// requestCancel asks the job k to stop: its worker sees CancelRequested at
// its next renewal. Work that waits for no worker (a self-managed
// deployment) gets a job, due at dueAt, so that a worker ends it.
func (s *Store) requestCancel(ctx context.Context, tx Q, j store.Job) error {
	j.CancelRequested = true
	return s.insertJob(ctx, tx, j, `ON CONFLICT (region, kind, id) DO UPDATE SET cancel_requested = excluded.cancel_requested`)
}
