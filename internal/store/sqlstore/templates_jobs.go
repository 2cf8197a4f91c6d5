package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// registrationJob is the job that registers version id, due at now. The
// minors of one major share a serial key and go in the order of their
// numbers, so that each is compared with every earlier minor.
func registrationJob(k store.VersionKey, id string, now time.Time) store.Job {
	return store.Job{
		JobKey:    store.JobKey{Region: k.Region, Kind: store.JobRegistration, ID: id},
		Account:   k.Account,
		SerialKey: k.Account + "/" + k.Region + "/" + string(k.Kind) + "/" + k.Name + "/" + strconv.FormatInt(k.Major, 10),
		Seq:       k.Minor,
		DueAt:     now,
	}
}

// GetRegistration implements store.Templates.
func (s *Store) GetRegistration(ctx context.Context, id string) (store.Registration, error) {
	var r store.Registration
	var err error
	r.Version, err = s.scanVersion(s.e.Reads().QueryRow(ctx, `SELECT `+versionColumns("v.schema_text")+`, t.provisioning
		FROM template_versions v JOIN templates t
			ON t.account = v.account AND t.region = v.region AND t.kind = v.kind AND t.name = v.template_name
		WHERE v.id = ?`, id), &r.Provisioning)
	return found(s, r, err, "get registration %s", id)
}

// RegisteredSchemas implements store.Templates.
func (s *Store) RegisteredSchemas(ctx context.Context, k store.VersionKey) ([]store.TemplateVersion, error) {
	return s.listVersions(ctx, s.e.Reads(), "v.schema_text",
		versionOfTemplate+` AND v.major = ? AND v.minor < ? AND v.status IN ('DRAFT', 'PUBLISHED') ORDER BY v.minor`,
		versionArgs(k)...)
}

// FinishRegistration implements store.Templates. The version's update
// comes first and holds its row, so that a racing delete either went before
// (the update finds nothing) or waits; ending the job then checks the lease.
func (s *Store) FinishRegistration(ctx context.Context, p store.FinishParams) error {
	err := s.e.InTx(ctx, "finish registration", func(tx Q) error {
		var region string
		err := tx.QueryRow(ctx, `UPDATE template_versions SET status = ?, status_message = ?, schema_text = ?,
			last_modified_at_ms = ? WHERE id = ? AND status = 'REGISTRATION_IN_PROGRESS' RETURNING region`,
			string(p.Status), p.Message, p.Schema, ms(p.Now), p.ID).Scan(&region)
		if err := s.read(err, store.ErrConditionFailed, "finish registration %s", p.ID); err != nil {
			return err
		}
		if err := s.endJob(ctx, tx, store.JobKey{Region: region, Kind: store.JobRegistration, ID: p.ID}, p.Owner); err != nil {
			return err
		}
		if p.Status != store.VersionDraft {
			return nil
		}
		bundle := p.Bundle
		if bundle == nil {
			bundle = []byte{} // the column is NOT NULL
		}
		if _, err := tx.Exec(ctx, `INSERT INTO template_bundles (version_id, bundle) VALUES (?, ?)
			ON CONFLICT (version_id) DO UPDATE SET bundle = excluded.bundle`, p.ID, bundle); err != nil {
			return s.errorf("finish registration %s: store bundle: %w", p.ID, err)
		}
		return nil
	})
	if errors.Is(err, store.ErrLeaseLost) {
		return store.ErrConditionFailed
	}
	return err
}
