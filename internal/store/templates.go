package store

import (
	"context"
	"errors"
	"time"
)

// TemplateKind tells environment templates from service templates. The two
// kinds have separate name spaces: an environment template and a service
// template may share a name.
type TemplateKind string

// The two kinds of template.
const (
	EnvironmentTemplate TemplateKind = "ENVIRONMENT"
	ServiceTemplate     TemplateKind = "SERVICE"
)

// VersionStatus is the state of a template version.
type VersionStatus string

// The states of a template version. A version is created
// REGISTRATION_IN_PROGRESS with its registration job; the job moves it to
// DRAFT or REGISTRATION_FAILED and ends; a user publishes a DRAFT.
const (
	VersionRegistering VersionStatus = "REGISTRATION_IN_PROGRESS"
	VersionFailed      VersionStatus = "REGISTRATION_FAILED"
	VersionDraft       VersionStatus = "DRAFT"
	VersionPublished   VersionStatus = "PUBLISHED"
)

// TemplateKey names a template: all template state is keyed by account and
// region first.
type TemplateKey struct {
	Account string
	Region  string
	Kind    TemplateKind
	Name    string
}

// VersionNumber is a major.minor pair. Numbers are small non-negative
// integers chosen by the server; they are compared numerically (1.10 comes
// after 1.9).
type VersionNumber struct {
	Major int64
	Minor int64
}

// Less orders version numbers by major, then minor.
func (n VersionNumber) Less(o VersionNumber) bool {
	return n.Major < o.Major || (n.Major == o.Major && n.Minor < o.Minor)
}

// VersionKey names one version of a template.
type VersionKey struct {
	TemplateKey
	VersionNumber
}

// Template is a stored environment or service template.
type Template struct {
	TemplateKey
	DisplayName   string
	Description   string
	EncryptionKey string
	// Provisioning is "" or CUSTOMER_MANAGED: an environment template's
	// provisioning, a service template's pipelineProvisioning. Immutable.
	Provisioning string
	// Fingerprint identifies the create request, for idempotent creates by
	// name; the store keeps it as given.
	Fingerprint    string
	CreatedAt      time.Time
	LastModifiedAt time.Time
	// Recommended is computed by the store on every read: the highest
	// PUBLISHED version of the template, nil when none is published.
	Recommended *VersionNumber
}

// CompatibleTemplate is an entry of a service template version's
// compatibleEnvironmentTemplates: an environment template and one of its
// majors.
type CompatibleTemplate struct {
	Name  string
	Major int64
}

// TemplateVersion is a stored template version. While its status is
// REGISTRATION_IN_PROGRESS, a job of the queue (Jobs) registers it.
type TemplateVersion struct {
	VersionKey
	// ID is unique among all versions ever created (a random UUID), so that a
	// client token or a job never mistakes a later version that reuses a
	// deleted version's number for the one it created.
	ID            string
	Status        VersionStatus
	StatusMessage string
	Description   string
	SourceBucket  string
	SourceKey     string
	// Schema is schema/schema.yaml of the bundle, set when registration
	// succeeds.
	Schema string
	// Bundle is the registered bundle (the gzipped tar as fetched); it is
	// read only by GetTemplateVersion with withBundle set, nil otherwise.
	Bundle []byte
	// CompatibleEnvironmentTemplates and SupportedComponentSources are set
	// for service template versions only; never nil for those.
	CompatibleEnvironmentTemplates []CompatibleTemplate
	SupportedComponentSources      []string
	CreatedAt                      time.Time
	LastModifiedAt                 time.Time
	// RecommendedMinor is computed by the store on every read: the highest
	// PUBLISHED minor of the version's major, nil when none is published.
	RecommendedMinor *int64
}

// CreateTemplateParams is the input of Templates.CreateTemplate.
type CreateTemplateParams struct {
	Template Template // fully formed; Recommended is ignored
	Tags     []Tag    // stored under ARN
	ARN      string
	// Quota is the most templates, environment and service templates
	// together, that the account may have in the region.
	Quota int
}

// UpdateTemplateParams is the input of Templates.UpdateTemplate; a nil field
// keeps its value.
type UpdateTemplateParams struct {
	Key         TemplateKey
	DisplayName *string
	Description *string
	Now         time.Time
}

// ListTemplatesQuery is the input of Templates.ListTemplates.
type ListTemplatesQuery struct {
	Account   string
	Region    string
	Kind      TemplateKind
	AfterName string // "" starts at the beginning
	Limit     int
}

// CreateVersionParams is the input of Templates.CreateTemplateVersion.
type CreateVersionParams struct {
	Template TemplateKey
	// Major, when set, asks for the next minor of that major; nil asks for
	// the next major with minor 0.
	Major *int64
	// Version carries the fields of the new version that the caller sets:
	// ID, Description, SourceBucket, SourceKey, the service fields,
	// CreatedAt and LastModifiedAt. The store sets the key, the numbers and
	// the status (REGISTRATION_IN_PROGRESS).
	Version TemplateVersion
	Tags    []Tag
	// ARN returns the ARN of the version that gets number n, the key of its
	// tags.
	ARN   func(n VersionNumber) string
	Token *Idempotency // nil when the request carried no client token
	// Quota is the most versions, in any status, that the template may have.
	Quota int
	Now   time.Time
}

// ListVersionsQuery is the input of Templates.ListTemplateVersions.
type ListVersionsQuery struct {
	Template TemplateKey
	Major    *int64         // nil lists every major
	After    *VersionNumber // nil starts at the beginning
	Limit    int
}

// UpdateVersionParams is the input of Templates.UpdateTemplateVersion; a
// nil field keeps its value.
type UpdateVersionParams struct {
	Key         VersionKey
	Description *string
	// Status, when set, applies only if the current status is in From, and
	// neither it nor the current status is REGISTRATION_IN_PROGRESS: a
	// version leaves that status only through its registration job, and
	// never returns to it.
	Status                         *VersionStatus
	From                           []VersionStatus
	CompatibleEnvironmentTemplates *[]CompatibleTemplate
	SupportedComponentSources      *[]string
	Now                            time.Time
}

// DeleteVersionParams is the input of Templates.DeleteTemplateVersion.
type DeleteVersionParams struct {
	Key VersionKey
	ARN string // the key of the version's tags
	// Allow decides whether the deletion rules permit deleting v, given every
	// version of its template (v included), as they are inside the delete's
	// transaction. It must be a pure function; its error aborts the delete
	// and is returned unchanged.
	Allow func(v TemplateVersion, all []TemplateVersion) error
	Now   time.Time
}

// Registration is what a registration job works on.
type Registration struct {
	Version TemplateVersion
	// Provisioning is the template's provisioning (see Template).
	Provisioning string
}

// FinishParams is the input of Templates.FinishRegistration.
type FinishParams struct {
	ID     string        // the version's, which its job shares
	Owner  string        // the job's lease owner
	Status VersionStatus // DRAFT or REGISTRATION_FAILED
	// Message becomes the statusMessage ("" clears it).
	Message string
	Schema  string // with DRAFT
	Bundle  []byte // with DRAFT
	Now     time.Time
}

// VersionInUseError reports that a resource runs on a template version,
// which blocks deleting it.
type VersionInUseError struct {
	Kind string // the kind of resource, for example "environment"
	Name string
}

func (e *VersionInUseError) Error() string {
	return "store: template version used by " + e.Kind + " " + e.Name
}

// CompatibilityInUseError reports that an update of a service template
// version's compatibleEnvironmentTemplates would drop the environment
// template major of an environment that an instance on the version runs
// in.
type CompatibilityInUseError struct {
	Instance    string // service/instance
	Environment string
	Template    string // the environment's template
	Major       string
}

func (e *CompatibilityInUseError) Error() string {
	return "store: service instance " + e.Instance + " runs in environment " + e.Environment + " of " + e.Template + " major " + e.Major
}

// ErrNoSuchMajor: a new minor version was asked for in a major that has no
// version.
var ErrNoSuchMajor = errors.New("store: no such major version")

// ErrVersionsRemain: a template cannot be deleted while it has versions.
var ErrVersionsRemain = errors.New("store: template has versions")

// Templates stores environment and service templates and their versions.
// A version's registration is a job of the queue (Jobs, kind REGISTRATION,
// the version's ID): CreateTemplateVersion queues it, FinishRegistration and
// DeleteTemplateVersion end it. Its serial key is the template's account,
// region, kind, name and major, its Seq the minor, so that the minors of a
// major register in order and each is compared with every earlier minor.
//
// Every write is one transaction. On PostgreSQL, every write that changes
// the versions of a template (create, update, delete, but not the
// registration job's own changes) first locks the template's row FOR UPDATE,
// so they serialise per template; SQLite's single writer serialises
// everything.
//
// # The environments table
//
// An environment runs on an environment template version when its row in
// the environments table of the same account and region has
// template_name, template_major_version and template_minor_version equal to
// the version's template name and decimal numbers ("1", "0"). The
// environments family writes those columns. DeleteTemplateVersion reads
// them inside its transaction after locking the version's row FOR UPDATE
// (PostgreSQL); code that links an environment to a version must, in the
// transaction that writes the link, first read the version's row
// (template_versions) with SELECT ... FOR SHARE and check its status there.
// The two then serialise on that row, so a delete and a link cannot both
// succeed. On SQLite the single writer serialises them.
type Templates interface {
	// CreateTemplate stores a new template and its tags. When a template with
	// the same key exists, it returns that template with created=false and
	// changes nothing (the caller compares fingerprints). Otherwise, when the
	// account already has p.Quota or more templates of both kinds in the
	// region: ErrQuotaExceeded. Concurrent creates of one name create one
	// template; the quota holds under concurrent creates.
	CreateTemplate(ctx context.Context, p CreateTemplateParams) (t Template, created bool, err error)

	// GetTemplate returns a template, or ErrNotFound.
	GetTemplate(ctx context.Context, k TemplateKey) (Template, error)

	// UpdateTemplate changes the given fields and sets LastModifiedAt to
	// p.Now. Failure: ErrNotFound.
	UpdateTemplate(ctx context.Context, p UpdateTemplateParams) (Template, error)

	// DeleteTemplate removes a template with no versions, and the tags stored
	// under arn, and records its tombstone (Tombstones) at now. It returns the
	// template as it was. Failures: ErrNotFound; ErrVersionsRemain together
	// with the template. A version create racing with the delete either
	// lands before it (and the delete fails) or fails with ErrNotFound.
	DeleteTemplate(ctx context.Context, k TemplateKey, arn string, now time.Time) (Template, error)

	// ListTemplates returns at most q.Limit templates of one kind of the
	// account in the region with names strictly after q.AfterName, ordered
	// by name (byte order). A Limit of 0 or less returns nothing.
	ListTemplates(ctx context.Context, q ListTemplatesQuery) ([]Template, error)

	// CreateTemplateVersion stores a new REGISTRATION_IN_PROGRESS version
	// and queues its registration job, due at p.Now. In one transaction:
	//  1. With p.Token: a live token (ExpiresAt after p.Now) of another
	//     fingerprint fails with ErrIdempotencyMismatch; of the same
	//     fingerprint, it returns the version it created (looked up by ID, as
	//     it is now) with replayed=true, if that still exists; else creation
	//     goes on.
	//  2. The template must exist: ErrNotFound.
	//  3. The template must have fewer than p.Quota versions:
	//     ErrQuotaExceeded.
	//  4. The number: with p.Major nil, (highest major + 1).0, or 1.0 for a
	//     template without versions; with p.Major set, that major must have a
	//     version (else ErrNoSuchMajor) and the new one is
	//     major.(highest minor + 1). A deleted version's number is reused
	//     only if no higher one exists.
	//  5. Inserts the version, its tags (under p.ARN(number)) and its
	//     registration job, and records the token pointing at the version's
	//     ID.
	// Concurrent creates of one template get distinct numbers; concurrent
	// calls with one token create one version.
	CreateTemplateVersion(ctx context.Context, p CreateVersionParams) (v TemplateVersion, replayed bool, err error)

	// GetTemplateVersion returns a version, with its bundle when withBundle
	// is set, or ErrNotFound.
	GetTemplateVersion(ctx context.Context, k VersionKey, withBundle bool) (TemplateVersion, error)

	// ListTemplateVersions returns at most q.Limit versions of a template
	// (of one major when q.Major is set), strictly after q.After, ordered by
	// major then minor (numerically), without bundles. A template that does
	// not exist is ErrNotFound; one without versions gives an empty list. A
	// Limit of 0 or less returns nothing (after the existence check).
	ListTemplateVersions(ctx context.Context, q ListVersionsQuery) ([]TemplateVersion, error)

	// UpdateTemplateVersion changes the given fields and sets LastModifiedAt
	// to p.Now, atomically. Failures: ErrNotFound; ErrConditionFailed
	// together with the version as it is now, when p.Status is set and the
	// status may not change (see UpdateVersionParams.Status); a
	// *CompatibilityInUseError when new compatibleEnvironmentTemplates of a
	// service template version leave out the environment template major of
	// an environment that an instance on the version runs in (read in the
	// same transaction, after the version's row lock).
	UpdateTemplateVersion(ctx context.Context, p UpdateVersionParams) (TemplateVersion, error)

	// DeleteTemplateVersion removes a version, its bundle and the tags stored
	// under p.ARN, and records its tombstone (Tombstones) at p.Now, in one
	// transaction, if:
	//  1. it exists (else ErrNotFound);
	//  2. no environment runs on it, for environment template versions, nor
	//     is leaving it in a deployment still IN_PROGRESS or CANCELLING (a
	//     cancel sends the environment back; see the type's comment; else
	//     *VersionInUseError naming one);
	//  3. p.Allow permits it (else p.Allow's error).
	// It returns the version as it was. A version in any status may be
	// deleted; its registration job goes with it, and its worker's
	// FinishRegistration fails with ErrConditionFailed, RenewJob and
	// RetryJob with ErrLeaseLost.
	DeleteTemplateVersion(ctx context.Context, p DeleteVersionParams) (TemplateVersion, error)

	// GetRegistration returns the version whose ID is id (its job's ID),
	// with its template's provisioning, or ErrNotFound.
	GetRegistration(ctx context.Context, id string) (Registration, error)

	// RegisteredSchemas returns the schemas of the DRAFT and PUBLISHED
	// versions of k's template and major whose minor is lower than k's,
	// ordered by minor.
	RegisteredSchemas(ctx context.Context, k VersionKey) ([]TemplateVersion, error)

	// FinishRegistration ends a registration job: the version becomes
	// p.Status with p.Message (and, for DRAFT, p.Schema and p.Bundle),
	// LastModifiedAt p.Now, and its job is deleted, only if the version is
	// still REGISTRATION_IN_PROGRESS and p.Owner holds the job's lease (even
	// if it has run out, as long as no one else took it). Otherwise
	// ErrConditionFailed, and nothing changes.
	FinishRegistration(ctx context.Context, p FinishParams) error
}
