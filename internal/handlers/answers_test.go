package handlers

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/store"
)

// at is a time with nanoseconds, which answers truncate to milliseconds.
func at(minute int) time.Time {
	return time.Date(2024, 3, 1, 12, minute, 45, 123456789, time.UTC)
}

// Each resource comes as a row with every member set and a row with only
// what the store always has: the answers of both are pinned byte for byte.

func environmentRows() []store.Environment {
	full := store.Environment{
		Account: "111122223333", Region: "us-east-1", Name: "prod", Description: "production",
		TemplateState: store.TemplateState{TemplateName: "vpc", MajorVersion: "1", MinorVersion: "2",
			Spec: "proton: EnvironmentSpec\nspec:\n  x: 1\n", Inputs: `{"x":1}`},
		ProtonServiceRoleArn:           "arn:aws:iam::111122223333:role/proton",
		EnvironmentAccountConnectionID: "7b0c7f24-35f7-4d8c-a1a5-2b61d1f0f1a0",
		EnvironmentAccountID:           "444455556666",
		CodebuildRoleArn:               "arn:aws:iam::111122223333:role/codebuild",
		ComponentRoleArn:               "arn:aws:iam::111122223333:role/component",
		ProvisioningRepository:         store.RepositoryBranch{Provider: "GITHUB", Name: "org/infra", Branch: "main"},
		Provisioning:                   "CUSTOMER_MANAGED",
		Mode:                           store.ModeCustomerManaged,
		DeploymentStatus:               store.DeploySucceeded,
		DeploymentStatusMessage:        "done",
		CreatedAt:                      at(1),
		LastDeploymentAttemptedAt:      at(2),
		LastDeploymentSucceededAt:      at(3),
		LastAttemptedDeploymentID:      "d2",
		LastSucceededDeploymentID:      "d1",
		Fingerprint:                    "fp",
		Modified:                       true,
		Version:                        4,
	}
	sparse := store.Environment{
		Account: "111122223333", Region: "eu-west-1", Name: "dev",
		TemplateState:             store.TemplateState{TemplateName: "vpc", MajorVersion: "1", MinorVersion: "0"},
		Mode:                      store.ModeManaged,
		DeploymentStatus:          store.DeployInProgress,
		CreatedAt:                 at(4),
		LastDeploymentAttemptedAt: at(4),
	}
	return []store.Environment{full, sparse}
}

func deploymentRows() []store.Deployment {
	full := store.Deployment{
		ID: "d2", Account: "111122223333", Region: "us-east-1", EnvironmentName: "prod",
		TargetArn: "arn:aws:proton:us-east-1:111122223333:environment/prod", TargetResourceType: store.TargetEnvironment, TargetKey: "prod",
		TargetResourceCreatedAt: at(1), Action: store.ActionDeploy, Mode: store.ModeManaged,
		Status: store.DeployFailed, StatusMessage: "boom", CreatedAt: at(2), LastModifiedAt: at(3), CompletedAt: at(4),
		PreviousAttemptedID: "d1", PreviousSucceededID: "d0",
		InitialState: &store.TemplateState{TemplateName: "vpc", MajorVersion: "1", MinorVersion: "1", Spec: "old", Inputs: "{}"},
		TargetState:  store.TemplateState{TemplateName: "vpc", MajorVersion: "1", MinorVersion: "2", Spec: "new", Inputs: "{}"},
	}
	sparse := store.Deployment{
		ID: "d0", Account: "111122223333", Region: "us-east-1", EnvironmentName: "dev",
		TargetArn: "arn:aws:proton:us-east-1:111122223333:environment/dev", TargetResourceType: store.TargetEnvironment, TargetKey: "dev",
		TargetResourceCreatedAt: at(1), Action: store.ActionDeploy, Status: store.DeployInProgress,
		CreatedAt: at(1), LastModifiedAt: at(1),
		TargetState: store.TemplateState{TemplateName: "vpc", MajorVersion: "1", MinorVersion: "0"},
	}
	return []store.Deployment{full, sparse}
}

func connectionRows() []store.Connection {
	full := store.Connection{
		ID: "7b0c7f24-35f7-4d8c-a1a5-2b61d1f0f1a0", Region: "us-east-1",
		EnvironmentAccountID: "444455556666", ManagementAccountID: "111122223333", EnvironmentName: "prod",
		RoleArn:          "arn:aws:iam::444455556666:role/proton",
		CodebuildRoleArn: "arn:aws:iam::444455556666:role/codebuild",
		ComponentRoleArn: "arn:aws:iam::444455556666:role/component",
		Status:           store.StatusConnected, RequestedAt: at(1), LastModifiedAt: at(2),
	}
	sparse := store.Connection{
		ID: "0e4d3f7a-9d55-4c1e-bb8e-7b7f0f3c2a11", Region: "us-east-1",
		EnvironmentAccountID: "444455556666", ManagementAccountID: "111122223333", EnvironmentName: "dev",
		RoleArn: "arn:aws:iam::444455556666:role/proton",
		Status:  store.StatusPending, RequestedAt: at(3), LastModifiedAt: at(3),
	}
	return []store.Connection{full, sparse}
}

func templateRows(kind store.TemplateKind) []store.Template {
	full := store.Template{
		TemplateKey: store.TemplateKey{Account: "111122223333", Region: "us-east-1", Kind: kind, Name: "vpc"},
		DisplayName: "VPC", Description: "a network", EncryptionKey: "arn:aws:kms:us-east-1:111122223333:key/k",
		Provisioning: "CUSTOMER_MANAGED", Fingerprint: "fp", CreatedAt: at(1), LastModifiedAt: at(2),
		Recommended: &store.VersionNumber{Major: 2, Minor: 10},
	}
	sparse := store.Template{
		TemplateKey: store.TemplateKey{Account: "111122223333", Region: "us-east-1", Kind: kind, Name: "bare"},
		CreatedAt:   at(3), LastModifiedAt: at(3),
	}
	return []store.Template{full, sparse}
}

func versionRows(kind store.TemplateKind) []store.TemplateVersion {
	key := store.TemplateKey{Account: "111122223333", Region: "us-east-1", Kind: kind, Name: "vpc"}
	minor := int64(3)
	full := store.TemplateVersion{
		VersionKey: store.VersionKey{TemplateKey: key, VersionNumber: store.VersionNumber{Major: 2, Minor: 3}},
		ID:         "v-id", Status: store.VersionPublished, StatusMessage: "ok", Description: "third",
		SourceBucket: "b", SourceKey: "k", Schema: "schema:\n  format:\n    openapi: \"3.0.0\"\n", Bundle: []byte("tar"),
		CreatedAt: at(1), LastModifiedAt: at(2), RecommendedMinor: &minor,
	}
	sparse := store.TemplateVersion{
		VersionKey: store.VersionKey{TemplateKey: key, VersionNumber: store.VersionNumber{Major: 1, Minor: 0}},
		ID:         "v-id0", Status: store.VersionDraft, CreatedAt: at(3), LastModifiedAt: at(3),
	}
	if kind == store.ServiceTemplate {
		full.CompatibleEnvironmentTemplates = []store.CompatibleTemplate{{Name: "vpc", Major: 1}, {Name: "net", Major: 12}}
		full.SupportedComponentSources = []string{"DIRECTLY_DEFINED"}
		sparse.CompatibleEnvironmentTemplates = []store.CompatibleTemplate{}
		sparse.SupportedComponentSources = []string{}
	}
	return []store.TemplateVersion{full, sparse}
}

// answers is every answer a handler builds from store rows, by name: the
// single-resource answer of each row and the list page of all of them.
func answers() map[string][]byte {
	out := map[string][]byte{}
	for i, e := range environmentRows() {
		out[name("environment", i)] = (&api.GetEnvironmentOutput{Environment: one(e, environmentOf)}).AppendJSON(nil)
	}
	out["environments-page"] = (&api.ListEnvironmentsOutput{Environments: summaries(environmentRows(), environmentOf, (*api.Environment).Summary)}).AppendJSON(nil)
	for i, d := range deploymentRows() {
		out[name("deployment", i)] = (&api.GetDeploymentOutput{Deployment: one(d, deploymentOf)}).AppendJSON(nil)
	}
	out["deployments-page"] = (&api.ListDeploymentsOutput{Deployments: summaries(deploymentRows(), deploymentOf, (*api.Deployment).Summary)}).AppendJSON(nil)
	for i, c := range connectionRows() {
		out[name("connection", i)] = (&api.GetEnvironmentAccountConnectionOutput{EnvironmentAccountConnection: one(c, connectionOf)}).AppendJSON(nil)
	}
	out["connections-page"] = (&api.ListEnvironmentAccountConnectionsOutput{EnvironmentAccountConnections: summaries(connectionRows(), connectionOf, (*api.EnvironmentAccountConnection).Summary)}).AppendJSON(nil)
	for i, t := range templateRows(envKind) {
		out[name("environment-template", i)] = (&api.GetEnvironmentTemplateOutput{EnvironmentTemplate: one(t, envTemplateOf)}).AppendJSON(nil)
	}
	out["environment-templates-page"] = (&api.ListEnvironmentTemplatesOutput{Templates: summaries(templateRows(envKind), envTemplateOf, (*api.EnvironmentTemplate).Summary)}).AppendJSON(nil)
	for i, t := range templateRows(svcKind) {
		out[name("service-template", i)] = (&api.GetServiceTemplateOutput{ServiceTemplate: one(t, svcTemplateOf)}).AppendJSON(nil)
	}
	out["service-templates-page"] = (&api.ListServiceTemplatesOutput{Templates: summaries(templateRows(svcKind), svcTemplateOf, (*api.ServiceTemplate).Summary)}).AppendJSON(nil)
	for i, v := range versionRows(envKind) {
		out[name("environment-template-version", i)] = (&api.GetEnvironmentTemplateVersionOutput{EnvironmentTemplateVersion: one(v, envVersionOf)}).AppendJSON(nil)
	}
	out["environment-template-versions-page"] = (&api.ListEnvironmentTemplateVersionsOutput{TemplateVersions: summaries(versionRows(envKind), envVersionOf, (*api.EnvironmentTemplateVersion).Summary)}).AppendJSON(nil)
	for i, v := range versionRows(svcKind) {
		out[name("service-template-version", i)] = (&api.GetServiceTemplateVersionOutput{ServiceTemplateVersion: one(v, svcVersionOf)}).AppendJSON(nil)
	}
	out["service-template-versions-page"] = (&api.ListServiceTemplateVersionsOutput{TemplateVersions: summaries(versionRows(svcKind), svcVersionOf, (*api.ServiceTemplateVersion).Summary)}).AppendJSON(nil)
	return out
}

func name(resource string, row int) string {
	return resource + []string{"-full", "-sparse"}[row]
}

// TestAnswersAreUnchanged pins the wire form of every answer built from a
// store row, so that a change in how handlers map rows cannot change what
// clients receive. The files in testdata/answers were written by the
// handlers before each resource was mapped once and its summary projected.
func TestAnswersAreUnchanged(t *testing.T) {
	got := answers()
	files, err := filepath.Glob("testdata/answers/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(files) != len(names) {
		t.Errorf("%d answer files for %d answers", len(files), len(names))
	}
	for _, n := range names {
		want, err := os.ReadFile(filepath.Join("testdata/answers", n+".json"))
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if !bytes.Equal(got[n], bytes.TrimSuffix(want, []byte("\n"))) {
			t.Errorf("%s changed:\n got %s\nwant %s", n, got[n], want)
		}
	}
}
