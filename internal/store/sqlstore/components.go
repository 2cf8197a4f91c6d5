package sqlstore

import (
	"context"
	"errors"
	"strings"

	"github.com/openproton/openproton/internal/store"
)

// componentsFamily declares components: their ARNs (component/NAME) take
// tags, and a deleted component leaves a tombstone.
var componentsFamily = Family{Name: "components", Resources: []Resource{{Type: "component",
	Find: func(r store.Resource) (string, []any, bool) {
		if strings.Contains(r.Key, "/") {
			return "", nil, false
		}
		return `SELECT 1 FROM components WHERE account = ? AND region = ? AND name = ?`, []any{r.Account, r.Region, r.Key}, true
	},
	List: `SELECT account, region, name FROM components`, Tombstones: true}}}

// componentColumns are the columns of componentValues, in order.
const componentColumns = `account, region, name, description, environment_name, service_name, service_instance_name,
	template_name, template_major_version, template_minor_version, spec, inputs_json,
	mode, deployment_status, deployment_status_message, created_at_ms, last_modified_at_ms,
	last_attempted_at_ms, last_succeeded_at_ms,
	last_attempted_deployment_id, last_succeeded_deployment_id, last_client_token, version`

var componentAssigns = assigns(componentColumns)

func scanComponent(r Row) (store.Component, error) {
	var (
		c                                       store.Component
		mode, status                            string
		created, modified, attempted, succeeded int64
	)
	err := r.Scan(&c.Account, &c.Region, &c.Name, &c.Description, &c.EnvironmentName, &c.ServiceName, &c.ServiceInstanceName,
		&c.TemplateName, &c.MajorVersion, &c.MinorVersion, &c.Spec, &c.Inputs,
		&mode, &status, &c.DeploymentStatusMessage, &created, &modified, &attempted, &succeeded,
		&c.LastAttemptedDeploymentID, &c.LastSucceededDeploymentID, &c.LastClientToken, &c.Version)
	c.Mode, c.DeploymentStatus = store.ProvisioningMode(mode), store.DeploymentStatus(status)
	c.CreatedAt, c.LastModifiedAt = fromMS(created), fromMS(modified)
	c.LastDeploymentAttemptedAt, c.LastDeploymentSucceededAt = fromMS(attempted), fromMSOrZero(succeeded)
	return c, err
}

func componentValues(c store.Component) []any {
	return []any{c.Account, c.Region, c.Name, c.Description, c.EnvironmentName, c.ServiceName, c.ServiceInstanceName,
		c.TemplateName, c.MajorVersion, c.MinorVersion, c.Spec, c.Inputs,
		string(c.Mode), string(c.DeploymentStatus), c.DeploymentStatusMessage, ms(c.CreatedAt), ms(c.LastModifiedAt),
		ms(c.LastDeploymentAttemptedAt), msOrZero(c.LastDeploymentSucceededAt),
		c.LastAttemptedDeploymentID, c.LastSucceededDeploymentID, c.LastClientToken, c.Version}
}

// getComponent reads one component, with a row lock when lock is not "".
func (s *Store) getComponent(ctx context.Context, q Q, account, region, name, lock string) (store.Component, error) {
	c, err := scanComponent(q.QueryRow(ctx, `SELECT `+componentColumns+` FROM components
		WHERE account = ? AND region = ? AND name = ? `+lock, account, region, name))
	return found(s, c, err, "get component %s", name)
}

// componentOf reads the component attached to an instance.
func (s *Store) componentOf(ctx context.Context, q Q, account, region, service, instance string) (store.Component, error) {
	c, err := scanComponent(q.QueryRow(ctx, `SELECT `+componentColumns+` FROM components
		WHERE account = ? AND region = ? AND service_name = ? AND service_instance_name = ?`, account, region, service, instance))
	return found(s, c, err, "get component of %s/%s", service, instance)
}

// GetComponent implements store.Components.
func (s *Store) GetComponent(ctx context.Context, account, region, name string) (store.Component, error) {
	return s.getComponent(ctx, s.e.Reads(), account, region, name, "")
}

// ComponentOf implements store.Components.
func (s *Store) ComponentOf(ctx context.Context, account, region, service, instance string) (store.Component, error) {
	if instance == "" {
		return store.Component{}, store.ErrNotFound
	}
	return s.componentOf(ctx, s.e.Reads(), account, region, service, instance)
}

// ListComponents implements store.Components.
func (s *Store) ListComponents(ctx context.Context, q store.ListComponentsQuery) ([]store.Component, error) {
	if q.Limit <= 0 {
		return []store.Component{}, nil
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + componentColumns + ` FROM components WHERE account = ? AND region = ? AND name > ?`)
	args := []any{q.Account, q.Region, q.After}
	for _, f := range []struct{ col, v string }{{"environment_name", q.EnvironmentName}, {"service_name", q.ServiceName},
		{"service_instance_name", q.ServiceInstanceName}} {
		if f.v != "" {
			b.WriteString(` AND ` + f.col + ` = ?`)
			args = append(args, f.v)
		}
	}
	b.WriteString(` ORDER BY name LIMIT ?`)
	rows, err := s.e.Reads().Query(ctx, b.String(), append(args, q.Limit)...)
	out, err := collect(rows, err, scanComponent)
	if err != nil {
		return nil, s.errorf("list components: %w", err)
	}
	return out, nil
}

// WriteComponent implements store.Components. Creates of one (account,
// region) take turns on its scope lock; other writes lock the component
// row first. Then the links: the service (FOR SHARE), the instance (FOR
// UPDATE, so that writes of components attaching to one instance take
// turns, and an update of the instance waits), the environment (FOR
// SHARE), the order of every write that touches them.
func (s *Store) WriteComponent(ctx context.Context, p store.WriteComponentParams) (store.Component, error) {
	c := p.Component
	var out store.Component
	err := s.e.InTx(ctx, "write component", func(tx Q) error {
		if err := s.writeComponentRow(ctx, tx, p, &out, func() error { return s.checkComponentLinks(ctx, tx, p) }); err != nil {
			return err
		}
		if p.Deployment != nil {
			if err := s.insertDeployment(ctx, tx, p.Deployment.Deployment, p.Deployment.Queue); err != nil {
				return err
			}
		}
		var err error
		out, err = s.getComponent(ctx, tx, c.Account, c.Region, c.Name, "")
		return err
	})
	return store.WithRow(out, err, store.ErrAlreadyExists, store.ErrConditionFailed)
}

// checkComponentLinks checks the links of p.
func (s *Store) checkComponentLinks(ctx context.Context, tx Q, p store.WriteComponentParams) error {
	c := p.Component
	if p.Instance != nil {
		if err := s.checkInstance(ctx, tx, c.Account, c.Region, c.Name, *p.Instance); err != nil {
			return err
		}
	}
	if p.Environment == "" {
		return nil
	}
	e, err := s.getEnvironment(ctx, tx, c.Account, c.Region, p.Environment, s.e.Lock(ForShare))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.ErrEnvironmentUnusable
	case err != nil:
		return err
	case e.DeploymentStatus == store.DeleteInProgress:
		return store.ErrEnvironmentUnusable
	}
	return nil
}

// writeComponentRow creates or conditionally replaces the component row of
// p once the row (or, for a create, the scope) is locked and links holds;
// *out gets the stored component when that fails for a reason that comes
// with it.
func (s *Store) writeComponentRow(ctx context.Context, tx Q, p store.WriteComponentParams, out *store.Component, links func() error) error {
	c := p.Component
	if !p.Create {
		cur, err := s.getComponent(ctx, tx, c.Account, c.Region, c.Name, s.e.Lock(ForUpdate))
		if err != nil {
			return err
		}
		if cur.Version != p.ExpectVersion {
			*out = cur
			return store.ErrConditionFailed
		}
		if err := links(); err != nil {
			return err
		}
		c.Version = p.ExpectVersion + 1
		if _, err := tx.Exec(ctx, `UPDATE components SET `+componentAssigns+` WHERE account = ? AND region = ? AND name = ?`,
			append(componentValues(c), c.Account, c.Region, c.Name)...); err != nil {
			return s.errorf("write component %s: %w", c.Name, err)
		}
		return nil
	}
	if err := admitCreate(ctx, s, tx, LockComponentCreate, "components", c.Account, c.Region, p.Quota, func() (store.Component, error) {
		return s.getComponent(ctx, tx, c.Account, c.Region, c.Name, "")
	}, out); err != nil {
		return err
	}
	if err := links(); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO components (`+componentColumns+`) VALUES (`+marks(23)+`)`, componentValues(c)...); err != nil {
		return s.errorf("create component %s: %w", c.Name, err)
	}
	if err := s.upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM tombstones WHERE resource_type = 'component' AND account = ? AND region = ? AND key = ?`,
		c.Account, c.Region, c.Name); err != nil {
		return s.errorf("create component %s: clear tombstone: %w", c.Name, err)
	}
	return nil
}

// checkInstance checks a component's instance link. The instance row is
// held FOR UPDATE: two components attaching to one instance take turns,
// and the second sees the first.
func (s *Store) checkInstance(ctx context.Context, tx Q, account, region, component string, l store.InstanceLink) error {
	if l.InstanceName == "" {
		return store.ErrInstanceUnusable
	}
	var status string
	err := tx.QueryRow(ctx, `SELECT status FROM services WHERE account = ? AND region = ? AND name = ? `+s.e.Lock(ForShare),
		account, region, l.ServiceName).Scan(&status)
	if err := s.read(err, store.ErrInstanceUnusable, "service of component %s", component); err != nil {
		return err
	}
	if store.ServiceStatus(status) == store.ServiceDeleteInProgress {
		return store.ErrInstanceUnusable
	}
	t, err := s.getTarget(ctx, tx, account, region, l.ServiceName, l.InstanceName, s.e.Lock(ForUpdate))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.ErrInstanceUnusable
	case err != nil:
		return err
	case t.DeploymentStatus == store.DeleteInProgress || t.EnvironmentName != l.Environment:
		return store.ErrInstanceUnusable
	case l.Idle && t.DeploymentStatus.InFlight():
		return store.ErrInstanceBusy
	}
	var other bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM components WHERE account = ? AND region = ?
		AND service_name = ? AND service_instance_name = ? AND name <> ?)`,
		account, region, l.ServiceName, l.InstanceName, component).Scan(&other); err != nil {
		return s.errorf("components of instance %s/%s: %w", l.ServiceName, l.InstanceName, err)
	}
	if other {
		return store.ErrHasComponent
	}
	return nil
}

// guardComponents applies the component rules of a service write to its
// instance t, which gets the deployment d: a delete is refused while a
// component is attached (store.ErrHasComponent), an update while the
// attached component deploys (store.ErrComponentBusy). The caller has
// written t's row, so a component write on the instance (which holds it
// FOR UPDATE) has committed before, and is read here, or waits.
func (s *Store) guardComponents(ctx context.Context, tx Q, t store.ServiceTarget, d *store.Deployment) error {
	if t.IsPipeline() || d == nil || (d.Action == store.ActionDeploy && d.InitialState == nil) {
		return nil
	}
	c, err := s.componentOf(ctx, tx, t.Account, t.Region, t.ServiceName, t.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case d.Action == store.ActionDelete:
		return store.ErrHasComponent
	case c.DeploymentStatus.InFlight():
		return store.ErrComponentBusy
	}
	return nil
}

// environmentHasComponents returns store.ErrHasComponents when components
// (attached or detached) are in the environment.
func (s *Store) environmentHasComponents(ctx context.Context, tx Q, account, region, name string) error {
	var has bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM components WHERE account = ? AND region = ? AND environment_name = ?)`,
		account, region, name).Scan(&has); err != nil {
		return s.errorf("components of environment %s: %w", name, err)
	}
	if has {
		return store.ErrHasComponents
	}
	return nil
}

// countComponents adds the counts of components to c: every component,
// and those whose deployment failed.
func (s *Store) countComponents(ctx context.Context, account, region string, c *store.ResourceCounts) error {
	err := s.e.Reads().QueryRow(ctx, `SELECT count(*),
		COALESCE(SUM(CASE WHEN deployment_status IN ('FAILED', 'DELETE_FAILED') THEN 1 ELSE 0 END), 0)
		FROM components WHERE account = ? AND region = ?`, account, region).Scan(&c.Components.Total, &c.Components.Failed)
	if err != nil {
		return s.errorf("count components: %w", err)
	}
	return nil
}
