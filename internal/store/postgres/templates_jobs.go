package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openproton/openproton/internal/store"
)

// LeaseRegistration takes one due registration job. Replicas share the
// queue: the inner SELECT locks the chosen row FOR UPDATE SKIP LOCKED, so a
// worker passes over a job another is leasing at that moment instead of
// waiting for it, and the UPDATE rechecks the job is still due against the
// row's newest version.
func (s *Store) LeaseRegistration(ctx context.Context, owner string, now time.Time, lease time.Duration) (store.Registration, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		job   store.Registration
		found bool
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `UPDATE template_versions SET lease_owner = $1, due_at_ms = $2, attempts = attempts + 1
			WHERE id = (
				SELECT v.id FROM template_versions v
				WHERE v.status = 'REGISTRATION_IN_PROGRESS' AND v.due_at_ms <= $3
				AND NOT EXISTS (SELECT 1 FROM template_versions e
					WHERE e.account = v.account AND e.region = v.region AND e.kind = v.kind
					AND e.template_name = v.template_name AND e.major = v.major AND e.minor < v.minor
					AND e.status = 'REGISTRATION_IN_PROGRESS')
				ORDER BY v.due_at_ms, v.id LIMIT 1
				FOR UPDATE SKIP LOCKED)
			AND status = 'REGISTRATION_IN_PROGRESS' AND due_at_ms <= $3
			RETURNING id`, owner, millis(now.Add(lease)), millis(now)).Scan(&id)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("postgres: lease registration: %w", err)
		}
		v, err := getVersionByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT v.attempts, t.provisioning
			FROM template_versions v JOIN templates t
				ON t.account = v.account AND t.region = v.region AND t.kind = v.kind AND t.name = v.template_name
			WHERE v.id = $1`, id).Scan(&job.Attempts, &job.Provisioning); err != nil {
			return fmt.Errorf("postgres: lease registration: %w", err)
		}
		job.Version, found = v, true
		return nil
	})
	if err != nil {
		return store.Registration{}, false, err
	}
	return job, found, nil
}

// RegisteredSchemas returns the schemas of the registered earlier minors of
// k's major.
func (s *Store) RegisteredSchemas(ctx context.Context, k store.VersionKey) ([]store.TemplateVersion, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return listVersions(ctx, s.pool, "v.schema_text",
		versionOfTemplate+` AND v.major = $5 AND v.minor < $6 AND v.status IN ('DRAFT', 'PUBLISHED') ORDER BY v.minor`,
		versionArgs(k))
}

// FinishRegistration ends a job that owner still holds.
func (s *Store) FinishRegistration(ctx context.Context, p store.FinishParams) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE template_versions SET
				status = $1, status_message = $2, schema_text = $3, last_modified_at_ms = $4,
				lease_owner = '', due_at_ms = 0
			WHERE id = $5 AND status = 'REGISTRATION_IN_PROGRESS' AND lease_owner = $6`,
			string(p.Status), p.Message, p.Schema, millis(p.Now), p.ID, p.Owner)
		if err != nil {
			return fmt.Errorf("postgres: finish registration: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return store.ErrConditionFailed
		}
		if p.Status != store.VersionDraft {
			return nil
		}
		bundle := p.Bundle
		if bundle == nil {
			bundle = []byte{} // the column is NOT NULL
		}
		if _, err := tx.Exec(ctx, `INSERT INTO template_bundles (version_id, bundle) VALUES ($1, $2)
			ON CONFLICT (version_id) DO UPDATE SET bundle = EXCLUDED.bundle`, p.ID, bundle); err != nil {
			return fmt.Errorf("postgres: store bundle: %w", err)
		}
		return nil
	})
}

// RetryRegistration releases owner's lease and makes the job due at dueAt.
func (s *Store) RetryRegistration(ctx context.Context, id, owner string, dueAt time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE template_versions SET lease_owner = '', due_at_ms = $1
		WHERE id = $2 AND status = 'REGISTRATION_IN_PROGRESS' AND lease_owner = $3`, millis(dueAt), id, owner)
	if err != nil {
		return fmt.Errorf("postgres: retry registration: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrConditionFailed
	}
	return nil
}
