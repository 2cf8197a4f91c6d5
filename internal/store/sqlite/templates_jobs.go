package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// LeaseRegistration implements store.Templates. The job is chosen and
// leased in one write transaction, so two workers never take the same one.
func (s *Store) LeaseRegistration(ctx context.Context, owner string, now time.Time, lease time.Duration) (store.Registration, bool, error) {
	var (
		job   store.Registration
		found bool
	)
	// Workers poll while idle: a look through the read pool first keeps
	// those polls off the single writer.
	var due int
	err := s.reader.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM template_versions
		WHERE status = 'REGISTRATION_IN_PROGRESS' AND due_at_ms <= ?)`, ms(now)).Scan(&due)
	if err != nil {
		return store.Registration{}, false, fmt.Errorf("sqlite: lease registration: %w", err)
	}
	if due == 0 {
		return job, false, nil
	}
	err = s.inTx(ctx, "lease registration", func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT v.id FROM template_versions v
			WHERE v.status = 'REGISTRATION_IN_PROGRESS' AND v.due_at_ms <= ?
			AND NOT EXISTS (SELECT 1 FROM template_versions e
				WHERE e.account = v.account AND e.region = v.region AND e.kind = v.kind
				AND e.template_name = v.template_name AND e.major = v.major AND e.minor < v.minor
				AND e.status = 'REGISTRATION_IN_PROGRESS')
			ORDER BY v.due_at_ms, v.id LIMIT 1`, ms(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sqlite: lease registration: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE template_versions
			SET lease_owner = ?, due_at_ms = ?, attempts = attempts + 1 WHERE id = ?`,
			owner, ms(now.Add(lease)), id); err != nil {
			return fmt.Errorf("sqlite: lease registration %s: %w", id, err)
		}
		v, err := getVersionByID(ctx, tx, id)
		if err != nil {
			return err
		}
		var prov string
		if err := tx.QueryRowContext(ctx, `SELECT v.attempts, t.provisioning
			FROM template_versions v JOIN templates t
				ON t.account = v.account AND t.region = v.region AND t.kind = v.kind AND t.name = v.template_name
			WHERE v.id = ?`, id).Scan(&job.Attempts, &prov); err != nil {
			return fmt.Errorf("sqlite: lease registration %s: %w", id, err)
		}
		job.Version, job.Provisioning, found = v, prov, true
		return nil
	})
	if err != nil {
		return store.Registration{}, false, err
	}
	return job, found, nil
}

// RegisteredSchemas implements store.Templates.
func (s *Store) RegisteredSchemas(ctx context.Context, k store.VersionKey) ([]store.TemplateVersion, error) {
	return listVersions(ctx, s.reader, "v.schema_text",
		versionOfTemplate+` AND v.major = ? AND v.minor < ? AND v.status IN ('DRAFT', 'PUBLISHED') ORDER BY v.minor`,
		versionArgs(k))
}

// FinishRegistration implements store.Templates.
func (s *Store) FinishRegistration(ctx context.Context, p store.FinishParams) error {
	return s.inTx(ctx, "finish registration", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE template_versions SET
				status = ?, status_message = ?, schema_text = ?, last_modified_at_ms = ?,
				lease_owner = '', due_at_ms = 0
			WHERE id = ? AND status = 'REGISTRATION_IN_PROGRESS' AND lease_owner = ?`,
			string(p.Status), p.Message, p.Schema, ms(p.Now), p.ID, p.Owner)
		if err != nil {
			return fmt.Errorf("sqlite: finish registration %s: %w", p.ID, err)
		}
		if err := oneRow(res, store.ErrConditionFailed); err != nil {
			return err
		}
		if p.Status != store.VersionDraft {
			return nil
		}
		bundle := p.Bundle
		if bundle == nil {
			bundle = []byte{} // the column is NOT NULL
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO template_bundles (version_id, bundle) VALUES (?, ?)
			ON CONFLICT (version_id) DO UPDATE SET bundle = excluded.bundle`, p.ID, bundle); err != nil {
			return fmt.Errorf("sqlite: finish registration %s: store bundle: %w", p.ID, err)
		}
		return nil
	})
}

// RetryRegistration implements store.Templates.
func (s *Store) RetryRegistration(ctx context.Context, id, owner string, dueAt time.Time) error {
	return s.inTx(ctx, "retry registration", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE template_versions SET lease_owner = '', due_at_ms = ?
			WHERE id = ? AND status = 'REGISTRATION_IN_PROGRESS' AND lease_owner = ?`, ms(dueAt), id, owner)
		if err != nil {
			return fmt.Errorf("sqlite: retry registration %s: %w", id, err)
		}
		return oneRow(res, store.ErrConditionFailed)
	})
}

// oneRow returns none when res changed no row.
func oneRow(res sql.Result, none error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: rows affected: %w", err)
	}
	if n == 0 {
		return none
	}
	return nil
}
