package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/store"
)

// environmentsFamily declares environments: they take tags and leave
// tombstones.
var environmentsFamily = Family{Name: "environments", Resources: []Resource{{Type: "environment",
	Find: func(r store.Resource) (string, []any, bool) {
		return `SELECT 1 FROM environments WHERE account = ? AND region = ? AND name = ?`, []any{r.Account, r.Region, r.Key}, true
	},
	List: `SELECT account, region, name FROM environments`, Tombstones: true}}}

// environmentColumns are the columns of environmentValues, in order.
const environmentColumns = `account, region, name, description,
	template_name, template_major_version, template_minor_version, spec, inputs_json,
	proton_service_role_arn, environment_account_connection_id, environment_account_id,
	codebuild_role_arn, component_role_arn, repository_provider, repository_name, repository_branch,
	provisioning, mode, deployment_status, deployment_status_message,
	created_at_ms, last_attempted_at_ms, last_succeeded_at_ms,
	last_attempted_deployment_id, last_succeeded_deployment_id, fingerprint, modified, version`

// An environment without a connection has a NULL connection id, which
// scanEnvironment reads as "".
var (
	environmentSelect  = strings.Replace(environmentColumns, "environment_account_connection_id", "COALESCE(environment_account_connection_id, '')", 1)
	environmentAssigns = assigns(environmentColumns)
)

func scanEnvironment(r Row) (store.Environment, error) {
	var (
		e                             store.Environment
		mode, status                  string
		created, attempted, succeeded int64
	)
	err := r.Scan(&e.Account, &e.Region, &e.Name, &e.Description,
		&e.TemplateName, &e.MajorVersion, &e.MinorVersion, &e.Spec, &e.Inputs,
		&e.ProtonServiceRoleArn, &e.EnvironmentAccountConnectionID, &e.EnvironmentAccountID,
		&e.CodebuildRoleArn, &e.ComponentRoleArn,
		&e.ProvisioningRepository.Provider, &e.ProvisioningRepository.Name, &e.ProvisioningRepository.Branch,
		&e.Provisioning, &mode, &status, &e.DeploymentStatusMessage, &created, &attempted, &succeeded,
		&e.LastAttemptedDeploymentID, &e.LastSucceededDeploymentID, &e.Fingerprint, &e.Modified, &e.Version)
	e.Mode, e.DeploymentStatus = store.ProvisioningMode(mode), store.DeploymentStatus(status)
	e.CreatedAt, e.LastDeploymentAttemptedAt, e.LastDeploymentSucceededAt = fromMS(created), fromMS(attempted), fromMSOrZero(succeeded)
	return e, err
}

func environmentValues(e store.Environment) []any {
	var conn any
	if e.EnvironmentAccountConnectionID != "" {
		conn = e.EnvironmentAccountConnectionID
	}
	return []any{e.Account, e.Region, e.Name, e.Description,
		e.TemplateName, e.MajorVersion, e.MinorVersion, e.Spec, e.Inputs,
		e.ProtonServiceRoleArn, conn, e.EnvironmentAccountID,
		e.CodebuildRoleArn, e.ComponentRoleArn,
		e.ProvisioningRepository.Provider, e.ProvisioningRepository.Name, e.ProvisioningRepository.Branch,
		e.Provisioning, string(e.Mode), string(e.DeploymentStatus), e.DeploymentStatusMessage,
		ms(e.CreatedAt), ms(e.LastDeploymentAttemptedAt), msOrZero(e.LastDeploymentSucceededAt),
		e.LastAttemptedDeploymentID, e.LastSucceededDeploymentID, e.Fingerprint, e.Modified, e.Version}
}

// getEnvironment reads one environment, with a row lock when lock is not "".
func (s *Store) getEnvironment(ctx context.Context, q Q, account, region, name, lock string) (store.Environment, error) {
	e, err := scanEnvironment(q.QueryRow(ctx, `SELECT `+environmentSelect+` FROM environments
		WHERE account = ? AND region = ? AND name = ? `+lock, account, region, name))
	return found(s, e, err, "get environment %s", name)
}

// writeEnvironment replaces the stored row of e as it is (version included).
func (s *Store) writeEnvironment(ctx context.Context, tx Q, e store.Environment) error {
	if _, err := tx.Exec(ctx, `UPDATE environments SET `+environmentAssigns+` WHERE account = ? AND region = ? AND name = ?`,
		append(environmentValues(e), e.Account, e.Region, e.Name)...); err != nil {
		return s.errorf("write environment %s: %w", e.Name, err)
	}
	return nil
}

// GetEnvironment implements store.Environments.
func (s *Store) GetEnvironment(ctx context.Context, account, region, name string) (store.Environment, error) {
	return s.getEnvironment(ctx, s.e.Reads(), account, region, name, "")
}

// CreateEnvironment implements store.Environments. Creates of one (account,
// region) take turns on its scope lock (admitCreate).
func (s *Store) CreateEnvironment(ctx context.Context, p store.CreateEnvironmentParams) (store.Environment, error) {
	e := p.Environment
	var out store.Environment
	err := s.e.InTx(ctx, "create environment", func(tx Q) error {
		if err := admitCreate(ctx, s, tx, LockEnvironmentCreate, "environments", e.Account, e.Region, p.Quota, func() (store.Environment, error) {
			return s.getEnvironment(ctx, tx, e.Account, e.Region, e.Name, "")
		}, &out); err != nil {
			return err
		}
		if err := s.checkLinks(ctx, tx, e.Account, e.Region, p.Connection, &p.Template); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO environments (`+environmentColumns+`) VALUES (`+marks(29)+`)`,
			environmentValues(e)...); err != nil {
			return s.errorf("create environment %s: %w", e.Name, err)
		}
		if err := s.insertDeployment(ctx, tx, p.Deployment, p.Queue); err != nil {
			return err
		}
		if err := s.upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tombstones WHERE resource_type = 'environment' AND account = ? AND region = ? AND key = ?`,
			e.Account, e.Region, e.Name); err != nil {
			return s.errorf("create environment %s: clear tombstone: %w", e.Name, err)
		}
		var err error
		out, err = s.getEnvironment(ctx, tx, e.Account, e.Region, e.Name, "")
		return err
	})
	return store.WithRow(out, err, store.ErrAlreadyExists)
}

// checkLinks checks the links a write asks for inside its transaction. The
// rows are read FOR SHARE: deleting the version and transitioning the
// connection (FOR UPDATE on their rows) wait for this transaction, and this
// read waits for theirs, so a link never lands on a version or a connection
// that changed under it.
func (s *Store) checkLinks(ctx context.Context, tx Q, account, region string, conn *store.ConnectionLink, ver *store.VersionLink) error {
	if ver != nil {
		if err := s.checkVersion(ctx, tx, account, region, store.EnvironmentTemplate, *ver); err != nil {
			return err
		}
	}
	if conn != nil {
		c, err := s.getConnection(ctx, tx, region, conn.ID, s.e.Lock(ForShare))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return store.ErrConnectionUnusable
		case err != nil:
			return err
		case c.Status != store.StatusConnected || c.ManagementAccountID != conn.ManagementAccountID ||
			c.EnvironmentAccountID != conn.EnvironmentAccountID || c.EnvironmentName != conn.EnvironmentName:
			return store.ErrConnectionUnusable
		}
	}
	return nil
}

// checkVersion checks a link to a template version of kind, read FOR SHARE
// (see checkLinks): it must exist and be PUBLISHED.
func (s *Store) checkVersion(ctx context.Context, tx Q, account, region string, kind store.TemplateKind, ver store.VersionLink) error {
	major, err1 := strconv.ParseInt(ver.MajorVersion, 10, 64)
	minor, err2 := strconv.ParseInt(ver.MinorVersion, 10, 64)
	if err1 != nil || err2 != nil {
		return store.ErrVersionUnusable
	}
	var status string
	err := tx.QueryRow(ctx, `SELECT status FROM template_versions
		WHERE account = ? AND region = ? AND kind = ? AND template_name = ? AND major = ? AND minor = ? `+
		s.e.Lock(ForShare), account, region, string(kind), ver.TemplateName, major, minor).Scan(&status)
	if err := s.read(err, store.ErrVersionUnusable, "read template version"); err != nil {
		return err
	}
	if status != string(store.VersionPublished) {
		return store.ErrVersionUnusable
	}
	return nil
}

// ListEnvironments implements store.Environments.
func (s *Store) ListEnvironments(ctx context.Context, q store.ListEnvironmentsQuery) ([]store.Environment, error) {
	if q.Limit <= 0 {
		return []store.Environment{}, nil
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + environmentSelect + ` FROM environments WHERE account = ? AND region = ? AND name > ?`)
	args := []any{q.Account, q.Region, q.After}
	if len(q.Templates) > 0 {
		ors := make([]string, len(q.Templates))
		for i, f := range q.Templates {
			ors[i] = `(template_name = ? AND template_major_version = ?)`
			args = append(args, f.TemplateName, f.MajorVersion)
		}
		b.WriteString(` AND (` + strings.Join(ors, ` OR `) + `)`)
	}
	b.WriteString(` ORDER BY name LIMIT ?`)
	rows, err := s.e.Reads().Query(ctx, b.String(), append(args, q.Limit)...)
	out, err := collect(rows, err, scanEnvironment)
	if err != nil {
		return nil, s.errorf("list environments: %w", err)
	}
	return out, nil
}

// UpdateEnvironment implements store.Environments. The row is locked first,
// then the links are read, the order of every write that touches both.
func (s *Store) UpdateEnvironment(ctx context.Context, p store.UpdateEnvironmentParams) (store.Environment, error) {
	e := p.Environment
	var out store.Environment
	err := s.e.InTx(ctx, "update environment", func(tx Q) error {
		cur, err := s.getEnvironment(ctx, tx, e.Account, e.Region, e.Name, s.e.Lock(ForUpdate))
		if err != nil {
			return err
		}
		if cur.Version != p.ExpectVersion {
			out = cur
			return store.ErrConditionFailed
		}
		if err := s.checkLinks(ctx, tx, e.Account, e.Region, p.Connection, p.Template); err != nil {
			return err
		}
		if p.Deployment != nil && p.Deployment.Action == store.ActionDelete {
			if err := s.environmentHasInstances(ctx, tx, e.Account, e.Region, e.Name); err != nil {
				return err
			}
			if err := s.environmentHasComponents(ctx, tx, e.Account, e.Region, e.Name); err != nil {
				return err
			}
		}
		e.Version = p.ExpectVersion + 1
		if err := s.writeEnvironment(ctx, tx, e); err != nil {
			return err
		}
		if p.Deployment != nil {
			if err := s.insertDeployment(ctx, tx, *p.Deployment, p.Queue); err != nil {
				return err
			}
		}
		out, err = s.getEnvironment(ctx, tx, e.Account, e.Region, e.Name, "")
		return err
	})
	return store.WithRow(out, err, store.ErrConditionFailed)
}

// assigns turns a column list into "col = ?, ..." for an UPDATE.
func assigns(columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c) + " = ?"
	}
	return strings.Join(cols, ", ")
}

// msOrZero stores the zero time (never) as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// fromMSOrZero reads 0 as the zero time.
func fromMSOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}
