package sqlstore

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openproton/openproton/internal/store"
)

// servicesFamily declares services: a service's ARN (service/NAME) and an
// instance's (service/NAME/service-instance/INSTANCE) share the ARN type
// "service"; both take tags, and a deleted service leaves a tombstone.
var servicesFamily = Family{Name: "services", Resources: []Resource{{Type: "service",
	Find: func(r store.Resource) (string, []any, bool) {
		svc, rest, isInstance := strings.Cut(r.Key, "/")
		if !isInstance {
			return `SELECT 1 FROM services WHERE account = ? AND region = ? AND name = ?`, []any{r.Account, r.Region, svc}, true
		}
		inst, ok := strings.CutPrefix(rest, "service-instance/")
		if !ok || inst == "" || strings.Contains(inst, "/") {
			return "", nil, false
		}
		return `SELECT 1 FROM service_targets WHERE account = ? AND region = ? AND service_name = ? AND name = ?`,
			[]any{r.Account, r.Region, svc, inst}, true
	},
	List: `SELECT account, region, name FROM services UNION ALL
		SELECT account, region, service_name || '/service-instance/' || name FROM service_targets WHERE name <> ''`,
	Tombstones: true}}}

// serviceColumns are the columns of serviceValues, in order.
const serviceColumns = `account, region, name, description, template_name, template_major_version, template_minor_version,
	spec, repository_connection_arn, repository_id, branch_name, status, status_message,
	created_at_ms, last_modified_at_ms, fingerprint, modified, version, rollback_spec, rollback_instances`

var serviceAssigns = assigns(serviceColumns)

func scanService(r Row) (store.Service, error) {
	var (
		v                 store.Service
		status, rollback  string
		created, modified int64
	)
	err := r.Scan(&v.Account, &v.Region, &v.Name, &v.Description, &v.TemplateName, &v.MajorVersion, &v.MinorVersion,
		&v.Spec, &v.RepositoryConnectionArn, &v.RepositoryID, &v.BranchName, &status, &v.StatusMessage,
		&created, &modified, &v.Fingerprint, &v.Modified, &v.Version, &v.RollbackSpec, &rollback)
	v.Status, v.CreatedAt, v.LastModifiedAt = store.ServiceStatus(status), fromMS(created), fromMS(modified)
	if rollback != "" {
		v.RollbackInstances = strings.Split(rollback, ",")
	}
	return v, err
}

func serviceValues(v store.Service) []any {
	return []any{v.Account, v.Region, v.Name, v.Description, v.TemplateName, v.MajorVersion, v.MinorVersion,
		v.Spec, v.RepositoryConnectionArn, v.RepositoryID, v.BranchName, string(v.Status), v.StatusMessage,
		ms(v.CreatedAt), ms(v.LastModifiedAt), v.Fingerprint, v.Modified, v.Version, v.RollbackSpec, strings.Join(v.RollbackInstances, ",")}
}

// targetColumns are the columns of targetValues, in order.
const targetColumns = `account, region, service_name, name, environment_name,
	template_name, template_major_version, template_minor_version, spec, inputs_json,
	mode, deployment_status, deployment_status_message, created_at_ms, last_attempted_at_ms, last_succeeded_at_ms,
	last_attempted_deployment_id, last_succeeded_deployment_id, last_client_token, version`

var targetAssigns = assigns(targetColumns)

func scanTarget(r Row) (store.ServiceTarget, error) {
	var (
		t                             store.ServiceTarget
		mode, status                  string
		created, attempted, succeeded int64
	)
	err := r.Scan(&t.Account, &t.Region, &t.ServiceName, &t.Name, &t.EnvironmentName,
		&t.TemplateName, &t.MajorVersion, &t.MinorVersion, &t.Spec, &t.Inputs,
		&mode, &status, &t.DeploymentStatusMessage, &created, &attempted, &succeeded,
		&t.LastAttemptedDeploymentID, &t.LastSucceededDeploymentID, &t.LastClientToken, &t.Version)
	t.Mode, t.DeploymentStatus = store.ProvisioningMode(mode), store.DeploymentStatus(status)
	t.CreatedAt, t.LastDeploymentAttemptedAt, t.LastDeploymentSucceededAt = fromMS(created), fromMS(attempted), fromMSOrZero(succeeded)
	return t, err
}

func targetValues(t store.ServiceTarget) []any {
	return []any{t.Account, t.Region, t.ServiceName, t.Name, t.EnvironmentName,
		t.TemplateName, t.MajorVersion, t.MinorVersion, t.Spec, t.Inputs,
		string(t.Mode), string(t.DeploymentStatus), t.DeploymentStatusMessage,
		ms(t.CreatedAt), ms(t.LastDeploymentAttemptedAt), msOrZero(t.LastDeploymentSucceededAt),
		t.LastAttemptedDeploymentID, t.LastSucceededDeploymentID, t.LastClientToken, t.Version}
}

// getService reads one service with its pipeline, with a row lock on the
// service when lock is not "".
func (s *Store) getService(ctx context.Context, q Q, account, region, name, lock string) (store.Service, error) {
	v, err := scanService(q.QueryRow(ctx, `SELECT `+serviceColumns+` FROM services
		WHERE account = ? AND region = ? AND name = ? `+lock, account, region, name))
	if v, err = found(s, v, err, "get service %s", name); err != nil {
		return v, err
	}
	p, err := s.getTarget(ctx, q, account, region, name, "", "")
	switch {
	case err == nil:
		v.Pipeline = &p
	case !errors.Is(err, store.ErrNotFound):
		return v, err
	}
	return v, nil
}

// getTarget reads one target ("" names the pipeline).
func (s *Store) getTarget(ctx context.Context, q Q, account, region, service, name, lock string) (store.ServiceTarget, error) {
	t, err := scanTarget(q.QueryRow(ctx, `SELECT `+targetColumns+` FROM service_targets
		WHERE account = ? AND region = ? AND service_name = ? AND name = ? `+lock, account, region, service, name))
	return found(s, t, err, "get target %s/%s", service, name)
}

// GetService implements store.Services.
func (s *Store) GetService(ctx context.Context, account, region, name string) (store.Service, error) {
	return s.getService(ctx, s.e.Reads(), account, region, name, "")
}

// GetServiceInstance implements store.Services.
func (s *Store) GetServiceInstance(ctx context.Context, account, region, service, name string) (store.ServiceTarget, error) {
	if name == "" {
		return store.ServiceTarget{}, store.ErrNotFound
	}
	return s.getTarget(ctx, s.e.Reads(), account, region, service, name, "")
}

// ListServices implements store.Services.
func (s *Store) ListServices(ctx context.Context, q store.ListServicesQuery) ([]store.Service, error) {
	if q.Limit <= 0 {
		return []store.Service{}, nil
	}
	rows, err := s.e.Reads().Query(ctx, `SELECT `+serviceColumns+` FROM services WHERE account = ? AND region = ? AND name > ?
		ORDER BY name LIMIT ?`, q.Account, q.Region, q.After, q.Limit)
	out, err := collect(rows, err, scanService)
	if err != nil {
		return nil, s.errorf("list services: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	pipes, err := s.e.Reads().Query(ctx, `SELECT `+targetColumns+` FROM service_targets
		WHERE account = ? AND region = ? AND name = '' AND service_name >= ? AND service_name <= ?`,
		q.Account, q.Region, out[0].Name, out[len(out)-1].Name)
	ps, err := collect(pipes, err, scanTarget)
	if err != nil {
		return nil, s.errorf("list pipelines: %w", err)
	}
	byName := map[string]*store.ServiceTarget{}
	for i := range ps {
		byName[ps[i].ServiceName] = &ps[i]
	}
	for i := range out {
		out[i].Pipeline = byName[out[i].Name]
	}
	return out, nil
}

// instanceSorts are the columns ListServiceInstances sorts by.
var instanceSorts = map[string]string{
	"name": "name", "deploymentStatus": "deployment_status", "templateName": "template_name",
	"serviceName": "service_name", "environmentName": "environment_name",
	"lastDeploymentAttemptedAt": "last_attempted_at_ms", "createdAt": "created_at_ms",
}

// ListServiceInstances implements store.Services.
func (s *Store) ListServiceInstances(ctx context.Context, q store.ListInstancesQuery) ([]store.ServiceTarget, error) {
	if q.Limit <= 0 {
		return []store.ServiceTarget{}, nil
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + targetColumns + ` FROM service_targets WHERE account = ? AND region = ? AND name <> ''`)
	args := []any{q.Account, q.Region}
	if q.ServiceName != "" {
		b.WriteString(` AND service_name = ?`)
		args = append(args, q.ServiceName)
	}
	// Filters of one key are alternatives; different keys all apply.
	byKey := map[string][]string{}
	var keys []string
	for _, f := range q.Filters {
		cond, arg := instanceFilter(f)
		if _, ok := byKey[f.Key]; !ok {
			keys = append(keys, f.Key)
		}
		byKey[f.Key] = append(byKey[f.Key], cond)
		args = append(args, arg...)
	}
	for _, k := range keys {
		b.WriteString(` AND (` + strings.Join(byKey[k], ` OR `) + `)`)
	}
	col, ok := instanceSorts[q.SortBy]
	if !ok {
		col = "service_name"
	}
	dir := " ASC"
	if q.Descending {
		dir = " DESC"
	}
	b.WriteString(` ORDER BY ` + col + dir + `, service_name, name LIMIT ? OFFSET ?`)
	rows, err := s.e.Reads().Query(ctx, b.String(), append(args, q.Limit, q.Offset)...)
	out, err := collect(rows, err, scanTarget)
	if err != nil {
		return nil, s.errorf("list service instances: %w", err)
	}
	return out, nil
}

// instanceFilter is the condition of one filter and its arguments. A
// filter on the status of the deployed template version compares the
// instance's minor with the recommended one of its major, and its major
// with the template's recommended one.
func instanceFilter(f store.InstanceFilter) (string, []any) {
	switch f.Key {
	case "name":
		return `name = ?`, []any{f.Value}
	case "deploymentStatus":
		return `deployment_status = ?`, []any{f.Value}
	case "templateName":
		return `template_name = ?`, []any{f.Value}
	case "serviceName":
		return `service_name = ?`, []any{f.Value}
	case "environmentName":
		return `environment_name = ?`, []any{f.Value}
	case "lastDeploymentAttemptedAtBefore":
		return `last_attempted_at_ms < ?`, []any{ms(f.At)}
	case "lastDeploymentAttemptedAtAfter":
		return `last_attempted_at_ms > ?`, []any{ms(f.At)}
	case "createdAtBefore":
		return `created_at_ms < ?`, []any{ms(f.At)}
	case "createdAtAfter":
		return `created_at_ms > ?`, []any{ms(f.At)}
	case "deployedTemplateVersionStatus":
		return `EXISTS (SELECT 1 FROM template_versions AS v WHERE v.account = service_targets.account
			AND v.region = service_targets.region AND v.kind = 'SERVICE' AND v.template_name = service_targets.template_name
			AND CAST(v.major AS TEXT) = service_targets.template_major_version
			AND CAST(v.minor AS TEXT) = service_targets.template_minor_version AND v.status = ?)`, []any{f.Value}
	}
	return `1 = 0`, nil
}

// countDeployed counts the rows of table (services or service_targets)
// that where selects (after account and region) for
// store.DeployedCounts; failed lists the statuses that count as failed.
func (s *Store) countDeployed(ctx context.Context, account, region, table, where string, failed []string) (store.DeployedCounts, error) {
	recommended := `(SELECT max(v.major) FROM template_versions AS v WHERE v.account = t.account AND v.region = t.region
		AND v.kind = 'SERVICE' AND v.template_name = t.template_name AND v.status = 'PUBLISHED')`
	recommendedMinor := `(SELECT max(v.minor) FROM template_versions AS v WHERE v.account = t.account AND v.region = t.region
		AND v.kind = 'SERVICE' AND v.template_name = t.template_name AND v.status = 'PUBLISHED'
		AND CAST(v.major AS TEXT) = t.template_major_version)`
	major, minor := `CAST(t.template_major_version AS BIGINT)`, `CAST(t.template_minor_version AS BIGINT)`
	args := []any{}
	failedIn := in("t.status", failed, &args)
	if table == "service_targets" {
		failedIn = strings.Replace(failedIn, "t.status", "t.deployment_status", 1)
	}
	var c store.DeployedCounts
	err := s.e.Reads().QueryRow(ctx, `SELECT count(*),
		COALESCE(SUM(CASE WHEN `+failedIn+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN `+major+` < `+recommended+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN `+major+` = `+recommended+` AND `+minor+` < `+recommendedMinor+` THEN 1 ELSE 0 END), 0)
		FROM `+table+` AS t WHERE t.account = ? AND t.region = ? `+where, append(args, account, region)...).Scan(
		&c.Total, &c.Failed, &c.BehindMajor, &c.BehindMinor)
	if err != nil {
		return c, s.errorf("count %s: %w", table, err)
	}
	return c, nil
}

// countServices adds the counts of services, instances and pipelines to c.
func (s *Store) countServices(ctx context.Context, account, region string, c *store.ResourceCounts) error {
	var err error
	failed := []string{string(store.DeployFailed), string(store.DeleteFailed)}
	var failedServices []string
	for _, st := range store.ServiceFailedStatuses() {
		failedServices = append(failedServices, string(st))
	}
	if c.Services, err = s.countDeployed(ctx, account, region, "services", "", failedServices); err != nil {
		return err
	}
	if c.ServiceInstances, err = s.countDeployed(ctx, account, region, "service_targets", "AND t.name <> ''", failed); err != nil {
		return err
	}
	c.Pipelines, err = s.countDeployed(ctx, account, region, "service_targets", "AND t.name = ''", failed)
	return err
}

// WriteService implements store.Services. Creates of one (account, region)
// take turns on its scope lock, as environment creates do; other writes
// lock the service row first, then its targets, then the links, the order
// of every write that touches them.
func (s *Store) WriteService(ctx context.Context, p store.WriteServiceParams) (store.Service, error) {
	v := p.Service
	var out store.Service
	err := s.e.InTx(ctx, "write service", func(tx Q) error {
		if err := s.writeServiceRow(ctx, tx, p, &out); err != nil {
			return err
		}
		for _, t := range p.Targets {
			if err := s.putTarget(ctx, tx, t); err != nil {
				if errors.Is(err, store.ErrConditionFailed) {
					out, _ = s.getService(ctx, tx, v.Account, v.Region, v.Name, "")
				}
				return err
			}
			if err := s.guardComponents(ctx, tx, t, deploymentOf(p.Deployments, t)); err != nil {
				return err
			}
		}
		if p.Template != nil {
			if err := s.checkVersion(ctx, tx, v.Account, v.Region, store.ServiceTemplate, *p.Template); err != nil {
				return err
			}
			if err := s.checkCompatible(ctx, tx, v.Account, v.Region, *p.Template, p.Environments); err != nil {
				return err
			}
		}
		for _, l := range p.Environments {
			if err := s.checkEnvironment(ctx, tx, v.Account, v.Region, l); err != nil {
				return err
			}
		}
		if p.MaxInstances > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM service_targets WHERE account = ? AND region = ? AND service_name = ? AND name <> ''`,
				v.Account, v.Region, v.Name).Scan(&n); err != nil {
				return s.errorf("count instances: %w", err)
			}
			if n > p.MaxInstances {
				return store.ErrTooManyInstances
			}
		}
		for _, d := range p.Deployments {
			if err := s.insertDeployment(ctx, tx, d.Deployment, d.Queue); err != nil {
				return err
			}
		}
		if err := s.upsertTags(ctx, tx, p.TargetARN, p.TargetTags); err != nil {
			return err
		}
		var err error
		out, err = s.getService(ctx, tx, v.Account, v.Region, v.Name, "")
		return err
	})
	return store.WithRow(out, err, store.ErrAlreadyExists, store.ErrConditionFailed)
}

// writeServiceRow creates or conditionally replaces the service row of p;
// *out gets the stored service when that fails for a reason that comes
// with it.
func (s *Store) writeServiceRow(ctx context.Context, tx Q, p store.WriteServiceParams, out *store.Service) error {
	v := p.Service
	if !p.Create {
		cur, err := s.getService(ctx, tx, v.Account, v.Region, v.Name, s.e.Lock(ForUpdate))
		if err != nil {
			return err
		}
		if cur.Version != p.ExpectVersion {
			*out = cur
			return store.ErrConditionFailed
		}
		v.Version = p.ExpectVersion + 1
		if _, err := tx.Exec(ctx, `UPDATE services SET `+serviceAssigns+` WHERE account = ? AND region = ? AND name = ?`,
			append(serviceValues(v), v.Account, v.Region, v.Name)...); err != nil {
			return s.errorf("write service %s: %w", v.Name, err)
		}
		return nil
	}
	if err := admitCreate(ctx, s, tx, LockServiceCreate, "services", v.Account, v.Region, p.Quota, func() (store.Service, error) {
		return s.getService(ctx, tx, v.Account, v.Region, v.Name, "")
	}, out); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO services (`+serviceColumns+`) VALUES (`+marks(20)+`)`, serviceValues(v)...); err != nil {
		return s.errorf("create service %s: %w", v.Name, err)
	}
	if err := s.upsertTags(ctx, tx, p.ARN, p.Tags); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM tombstones WHERE resource_type = 'service' AND account = ? AND region = ? AND key = ?`,
		v.Account, v.Region, v.Name); err != nil {
		return s.errorf("create service %s: clear tombstone: %w", v.Name, err)
	}
	return nil
}

// deploymentOf returns the deployment of ds that deploys t, or nil.
func deploymentOf(ds []store.NewDeployment, t store.ServiceTarget) *store.Deployment {
	for i := range ds {
		if ds[i].TargetResourceType == t.TargetType() && ds[i].TargetKey == t.TargetKey() {
			return &ds[i].Deployment
		}
	}
	return nil
}

// putTarget inserts a new target (Version 1) or replaces the stored one
// whose Version is one less.
func (s *Store) putTarget(ctx context.Context, tx Q, t store.ServiceTarget) error {
	if t.Version == 1 {
		n, err := tx.Exec(ctx, `INSERT INTO service_targets (`+targetColumns+`) VALUES (`+marks(20)+`)
			ON CONFLICT (account, region, service_name, name) DO NOTHING`, targetValues(t)...)
		if err != nil {
			return s.errorf("create target %s: %w", t.TargetKey(), err)
		}
		return one(n, store.ErrConditionFailed)
	}
	n, err := tx.Exec(ctx, `UPDATE service_targets SET `+targetAssigns+`
		WHERE account = ? AND region = ? AND service_name = ? AND name = ? AND version = ?`,
		append(targetValues(t), t.Account, t.Region, t.ServiceName, t.Name, t.Version-1)...)
	if err != nil {
		return s.errorf("write target %s: %w", t.TargetKey(), err)
	}
	return one(n, store.ErrConditionFailed)
}

// checkEnvironment checks an instance's environment link, holding the
// environment FOR SHARE: its delete (FOR UPDATE, then a count of its
// instances) waits for this transaction.
func (s *Store) checkEnvironment(ctx context.Context, tx Q, account, region string, l store.EnvironmentLink) error {
	e, err := s.getEnvironment(ctx, tx, account, region, l.Name, s.e.Lock(ForShare))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.ErrEnvironmentUnusable
	case err != nil:
		return err
	case e.DeploymentStatus == store.DeleteInProgress || e.TemplateName != l.TemplateName || e.MajorVersion != l.MajorVersion:
		return store.ErrEnvironmentUnusable
	}
	return nil
}

// checkCompatible returns store.ErrVersionUnusable when an environment of
// links runs a template major that the service template version ver does
// not list as compatible. checkVersion holds the version FOR SHARE, so an
// update of its compatible templates (FOR UPDATE, then a check of the
// instances on it) waits for this transaction, or this one reads its
// result.
func (s *Store) checkCompatible(ctx context.Context, tx Q, account, region string, ver store.VersionLink, links []store.EnvironmentLink) error {
	if len(links) == 0 {
		return nil
	}
	major, err1 := strconv.ParseInt(ver.MajorVersion, 10, 64)
	minor, err2 := strconv.ParseInt(ver.MinorVersion, 10, 64)
	if err1 != nil || err2 != nil {
		return store.ErrVersionUnusable
	}
	v, err := s.getVersion(ctx, tx, "", `v.account = ? AND v.region = ? AND v.kind = ? AND v.template_name = ? AND v.major = ? AND v.minor = ?`,
		account, region, string(store.ServiceTemplate), ver.TemplateName, major, minor)
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrVersionUnusable
	}
	if err != nil {
		return err
	}
	for _, l := range links {
		if !slices.ContainsFunc(v.CompatibleEnvironmentTemplates, func(c store.CompatibleTemplate) bool {
			return c.Name == l.TemplateName && strconv.FormatInt(c.Major, 10) == l.MajorVersion
		}) {
			return store.ErrVersionUnusable
		}
	}
	return nil
}

// environmentHasInstances returns store.ErrHasInstances when instances run
// in the environment.
func (s *Store) environmentHasInstances(ctx context.Context, tx Q, account, region, name string) error {
	var has bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM service_targets WHERE account = ? AND region = ? AND environment_name = ?)`,
		account, region, name).Scan(&has); err != nil {
		return s.errorf("instances of environment %s: %w", name, err)
	}
	if has {
		return store.ErrHasInstances
	}
	return nil
}

// serviceOnVersion returns a *store.VersionInUseError naming an instance or
// pipeline that runs on the service template version k, or is leaving it.
func (s *Store) serviceOnVersion(ctx context.Context, tx Q, k store.VersionKey) error {
	var kind, name string
	major, minor := strconv.FormatInt(k.Major, 10), strconv.FormatInt(k.Minor, 10)
	err := tx.QueryRow(ctx, `SELECT kind, name FROM (
			SELECT CASE name WHEN '' THEN 'service pipeline' ELSE 'service instance' END AS kind,
				CASE name WHEN '' THEN service_name ELSE service_name || '/' || name END AS name FROM service_targets
			WHERE account = ? AND region = ? AND template_name = ? AND template_major_version = ? AND template_minor_version = ?
			UNION
			SELECT CASE target_resource_type WHEN 'SERVICE_PIPELINE' THEN 'service pipeline' ELSE 'service instance' END, target_key
			FROM deployments
			WHERE account = ? AND region = ? AND target_resource_type IN ('SERVICE_INSTANCE', 'SERVICE_PIPELINE')
			AND status IN ('IN_PROGRESS', 'CANCELLING') AND has_initial_state = ?
			AND initial_template_name = ? AND initial_major_version = ? AND initial_minor_version = ?) AS users
		ORDER BY name LIMIT 1`,
		k.Account, k.Region, k.Name, major, minor, k.Account, k.Region, true, k.Name, major, minor).Scan(&kind, &name)
	if err := s.read(err, nil, "services on template version"); err != nil || name == "" {
		return err
	}
	return &store.VersionInUseError{Kind: kind, Name: name}
}

// instancesOutside returns a *store.CompatibilityInUseError naming an
// instance on the service template version k whose environment runs a
// template major that compat leaves out.
func (s *Store) instancesOutside(ctx context.Context, tx Q, k store.VersionKey, compat []store.CompatibleTemplate) error {
	if k.Kind != store.ServiceTemplate {
		return nil
	}
	args := []any{k.Account, k.Region, k.Name, strconv.FormatInt(k.Major, 10), strconv.FormatInt(k.Minor, 10)}
	var ors []string
	for _, c := range compat {
		ors = append(ors, `(e.template_name = ? AND e.template_major_version = ?)`)
		args = append(args, c.Name, strconv.FormatInt(c.Major, 10))
	}
	outside := ""
	if len(ors) > 0 {
		outside = ` AND NOT (` + strings.Join(ors, ` OR `) + `)`
	}
	var e store.CompatibilityInUseError
	err := tx.QueryRow(ctx, `SELECT t.service_name || '/' || t.name, e.name, e.template_name, e.template_major_version
		FROM service_targets AS t JOIN environments AS e ON e.account = t.account AND e.region = t.region AND e.name = t.environment_name
		WHERE t.account = ? AND t.region = ? AND t.name <> '' AND t.template_name = ? AND t.template_major_version = ?
		AND t.template_minor_version = ?`+outside+` ORDER BY 1 LIMIT 1`, args...).Scan(&e.Instance, &e.Environment, &e.Template, &e.Major)
	if err := s.read(err, nil, "instances outside compatible templates"); err != nil || e.Instance == "" {
		return err
	}
	return &e
}

// settleService moves the change in progress of a service on after a
// deployment of one of its targets ended, and ends it once none of its
// targets has a deployment in flight:
//   - a create becomes ACTIVE, or CREATE_FAILED when a target failed;
//   - an update becomes ACTIVE; UPDATE_FAILED when its pipeline or an
//     instance failed; UPDATE_COMPLETE_CLEANUP_FAILED when only the delete
//     of an instance failed. When an instance the update added could not
//     be created, the update is rolled back at once
//     (rollBack): UPDATE_FAILED_CLEANUP_IN_PROGRESS, then
//     UPDATE_FAILED_CLEANUP_COMPLETE, or UPDATE_FAILED_CLEANUP_FAILED when
//     an added instance could not be deleted;
//   - a delete removes the service once its targets are gone (its tags,
//     stored under arn, with it, leaving a tombstone), and is DELETE_FAILED
//     while one remains.
func (s *Store) settleService(ctx context.Context, tx Q, account, region, name, arn string, now time.Time) error {
	v, err := s.getService(ctx, tx, account, region, name, s.e.Lock(ForUpdate))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !v.Status.InFlight() {
		return err
	}
	prior := v
	if v.Status == store.ServiceUpdateInProgress && len(v.RollbackInstances) > 0 {
		if err := s.rollBack(ctx, tx, &v, now); err != nil {
			return err
		}
	}
	if v.Status == store.ServiceUpdateFailedCleanupInProgress {
		if err := s.deleteAdded(ctx, tx, v, arn, now); err != nil {
			return err
		}
	}
	var busy, left int
	if err := tx.QueryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN deployment_status IN ('IN_PROGRESS', 'CANCELLING', 'DELETE_IN_PROGRESS') THEN 1 ELSE 0 END), 0),
			count(*)
		FROM service_targets WHERE account = ? AND region = ? AND service_name = ?`, account, region, name).Scan(&busy, &left); err != nil {
		return s.errorf("settle service %s: %w", name, err)
	}
	if busy == 0 {
		if v.Status == store.ServiceDeleteInProgress && left == 0 {
			return s.removeService(ctx, tx, v, arn, now)
		}
		if err := s.endChange(ctx, tx, &v); err != nil {
			return err
		}
	}
	if v.Status == prior.Status && v.StatusMessage == prior.StatusMessage && v.Spec == prior.Spec {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE services SET status = ?, status_message = ?, spec = ?, rollback_spec = ?, rollback_instances = ?,
		last_modified_at_ms = ?, version = version + 1 WHERE account = ? AND region = ? AND name = ?`,
		string(v.Status), v.StatusMessage, v.Spec, v.RollbackSpec, strings.Join(v.RollbackInstances, ","), ms(now),
		account, region, name); err != nil {
		return s.errorf("settle service %s: %w", name, err)
	}
	return nil
}

// firstFailed returns the first target of service v (by name, the
// pipeline first) among names (all when nil) whose deployment status is
// one of statuses, with its status and message; name is "" and ok false
// when there is none.
func (s *Store) firstFailed(ctx context.Context, tx Q, v store.Service, names []string, statuses ...store.DeploymentStatus) (name string, st store.DeploymentStatus, why string, ok bool, err error) {
	args := []any{v.Account, v.Region, v.Name}
	where := ` AND ` + in("deployment_status", statuses, &args)
	if names != nil {
		where += ` AND ` + in("name", names, &args)
	}
	var status string
	err = tx.QueryRow(ctx, `SELECT name, deployment_status, deployment_status_message FROM service_targets
		WHERE account = ? AND region = ? AND service_name = ?`+where+`
		ORDER BY CASE deployment_status WHEN 'DELETE_FAILED' THEN 1 ELSE 0 END, name LIMIT 1`, args...).Scan(&name, &status, &why)
	if err := s.read(err, nil, "failed targets of service %s", v.Name); err != nil || status == "" {
		return "", "", "", false, err
	}
	return name, store.DeploymentStatus(status), why, true, nil
}

// endChange ends the change of service v (none of whose targets has a
// deployment in flight): its status and message say how it ended, and the
// rollback state of an update is cleared.
func (s *Store) endChange(ctx context.Context, tx Q, v *store.Service) error {
	failed := []store.DeploymentStatus{store.DeployFailed, store.DeleteFailed}
	if v.Status == store.ServiceUpdateFailedCleanupInProgress {
		// The message names the instance that failed; a failed delete of an
		// added instance is added to it.
		target, _, why, ok, err := s.firstFailed(ctx, tx, *v, v.RollbackInstances, store.DeleteFailed)
		if err != nil {
			return err
		}
		v.Status = store.ServiceUpdateFailedCleanupComplete
		if ok {
			v.Status, v.StatusMessage = store.ServiceUpdateFailedCleanupFailed, v.StatusMessage+" Deleting service instance "+target+" failed: "+why
		}
		v.RollbackSpec, v.RollbackInstances = "", nil
		return nil
	}
	target, st, why, ok, err := s.firstFailed(ctx, tx, *v, nil, failed...)
	if err != nil {
		return err
	}
	v.StatusMessage = ""
	if ok {
		v.StatusMessage = failedTargetMessage(target, why)
	}
	switch v.Status {
	case store.ServiceCreateInProgress:
		v.Status = store.ServiceActive
		if ok {
			v.Status = store.ServiceCreateFailed
		}
	case store.ServiceUpdateInProgress:
		switch {
		case !ok:
			v.Status = store.ServiceActive
		case st == store.DeleteFailed:
			v.Status = store.ServiceUpdateCompleteCleanupFailed
		default:
			v.Status = store.ServiceUpdateFailed
		}
	case store.ServiceDeleteInProgress:
		v.Status = store.ServiceDeleteFailed
	}
	v.RollbackSpec, v.RollbackInstances = "", nil
	return nil
}

// rollBack starts rolling back the update in progress of *v when an
// instance it added could not be created: the service becomes
// UPDATE_FAILED_CLEANUP_IN_PROGRESS with the spec it had before, and its
// pipeline, whose deployment of this update waits for the instances, is
// not deployed (skipPipeline). deleteAdded then deletes the added
// instances.
func (s *Store) rollBack(ctx context.Context, tx Q, v *store.Service, now time.Time) error {
	target, _, why, ok, err := s.firstFailed(ctx, tx, *v, v.RollbackInstances, store.DeployFailed)
	if err != nil || !ok {
		return err
	}
	v.Status, v.Spec = store.ServiceUpdateFailedCleanupInProgress, v.RollbackSpec
	v.StatusMessage = failedTargetMessage(target, why) + " The update is rolled back: the instances it added are deleted and the spec is the one before it."
	return s.skipPipeline(ctx, tx, *v, now)
}

// skipPipeline ends the pipeline deployment of a rolled back update of v
// as CANCELLED, before it started: the pipeline keeps what it ran before.
// A pipeline deployment that a worker holds, or that waits for a
// notification (self-managed), is left to end as it will.
func (s *Store) skipPipeline(ctx context.Context, tx Q, v store.Service, now time.Time) error {
	p, err := s.getTarget(ctx, tx, v.Account, v.Region, v.Name, "", "")
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.DeploymentStatus != store.DeployInProgress) {
		return nil
	}
	if err != nil {
		return err
	}
	// The job is dropped first: only a job that no worker holds. The
	// deployment's row is locked before its target's, the order of
	// CancelDeployment.
	k := store.JobKey{Region: v.Region, Kind: store.JobDeployment, ID: p.LastAttemptedDeploymentID}
	n, err := tx.Exec(ctx, `DELETE FROM jobs WHERE region = ? AND kind = ? AND id = ? AND lease_owner = ''`, k.Region, string(k.Kind), k.ID)
	if err != nil {
		return s.errorf("skip pipeline of %s: %w", v.Name, err)
	}
	if n == 0 {
		return nil
	}
	d, err := s.getDeployment(ctx, tx, v.Region, k.ID, s.e.Lock(ForUpdate))
	if err != nil {
		return err
	}
	st, err := s.getState(ctx, tx, d, s.e.Lock(ForUpdate))
	if err != nil {
		return err
	}
	st2, d2, _ := finish(st, d, store.CompleteParams{Outcome: store.OutcomeCancelled, Now: now,
		Message: "Not deployed: the update of service " + v.Name + " was rolled back."})
	if err := s.endDeployment(ctx, tx, d2); err != nil {
		return err
	}
	return s.writeState(ctx, tx, d, st2)
}

// deleteAdded gives each instance that the rolled back update of v added,
// and that has no deployment in flight and no failed delete, a delete
// deployment (queued for a worker unless the instance is self-managed).
// arn is the service's ARN.
func (s *Store) deleteAdded(ctx context.Context, tx Q, v store.Service, arn string, now time.Time) error {
	for _, name := range v.RollbackInstances {
		t, err := s.getTarget(ctx, tx, v.Account, v.Region, v.Name, name, s.e.Lock(ForUpdate))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if t.DeploymentStatus.InFlight() || t.DeploymentStatus == store.DeleteFailed {
			continue
		}
		initial := t.TemplateState
		d := store.Deployment{ID: uuid.NewString(), Account: t.Account, Region: t.Region, EnvironmentName: t.EnvironmentName,
			TargetArn: arn + "/service-instance/" + t.Name, TargetResourceType: store.TargetServiceInstance, TargetKey: t.TargetKey(),
			TargetResourceCreatedAt: t.CreatedAt, Action: store.ActionDelete, Mode: t.Mode, Status: store.DeleteInProgress,
			CreatedAt: now, LastModifiedAt: now, PreviousAttemptedID: t.LastAttemptedDeploymentID,
			PreviousSucceededID: t.LastSucceededDeploymentID, InitialState: &initial, TargetState: t.TemplateState}
		t.DeploymentStatus, t.DeploymentStatusMessage = store.DeleteInProgress, ""
		t.LastAttemptedDeploymentID, t.LastDeploymentAttemptedAt = d.ID, now
		t.Version++
		if err := s.putTarget(ctx, tx, t); err != nil {
			return err
		}
		if err := s.insertDeployment(ctx, tx, d, t.Mode != store.ModeSelfManaged); err != nil {
			return err
		}
	}
	return nil
}

// failedTargetMessage is the status message of a service whose target (an
// instance's name, "" for the pipeline) failed with why.
func failedTargetMessage(target, why string) string {
	if target == "" {
		return "The pipeline failed: " + why
	}
	return "Service instance " + target + " failed: " + why
}

// removeService deletes a service whose targets are gone, with its tags,
// and leaves a tombstone.
func (s *Store) removeService(ctx context.Context, tx Q, v store.Service, arn string, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM services WHERE account = ? AND region = ? AND name = ?`, v.Account, v.Region, v.Name); err != nil {
		return s.errorf("remove service %s: %w", v.Name, err)
	}
	if err := s.bury(ctx, tx, store.Resource{Type: "service", Account: v.Account, Region: v.Region, Key: v.Name}, now); err != nil {
		return err
	}
	return s.deleteTags(ctx, tx, arn)
}
