package components

import (
	"context"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/store"
)

// fakeTargetStore is a TargetStore over fixed rows.
type fakeTargetStore struct {
	env     store.Environment
	conn    store.Connection
	svc     store.Service
	inst    store.ServiceTarget
	outputs map[string][]store.Output
}

func (f fakeTargetStore) GetEnvironment(context.Context, string, string, string) (store.Environment, error) {
	return f.env, nil
}
func (f fakeTargetStore) GetService(context.Context, string, string, string) (store.Service, error) {
	return f.svc, nil
}
func (f fakeTargetStore) GetServiceInstance(context.Context, string, string, string, string) (store.ServiceTarget, error) {
	return f.inst, nil
}
func (f fakeTargetStore) GetConnection(_ context.Context, _, id string) (store.Connection, error) {
	if id != f.conn.ID {
		return store.Connection{}, store.ErrNotFound
	}
	return f.conn, nil
}
func (f fakeTargetStore) ListOutputs(_ context.Context, _, id string) ([]store.Output, error) {
	return f.outputs[id], nil
}

const probe = `Resources: {}
Outputs:
  Probe:
    Value: '{{ component.name }}|{{ environment.name }}|{{ environment.outputs.Vpc }}|{{ service_instance.name | default("-") }}|{{ service.name | default("-") }}|{{ service_instance.inputs.port | default("-") }}'
`

const cfnManifest = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n"

func deployment(doc store.ComponentDocument, spec string) store.Deployment {
	return store.Deployment{ID: "d1", Account: "111111111111", Region: "us-east-1", EnvironmentName: "dev",
		TargetResourceType: store.TargetComponent, TargetKey: "c1", TargetArn: "arn:aws:proton:us-east-1:111111111111:component/c1",
		Action: store.ActionDeploy, TargetState: doc.State(spec)}
}

// TestPrepareRendersWhatAComponentSees: an attached component's file sees
// component.name, environment, service_instance (inputs from its service
// spec, else its instance's) and service, and provisions with the
// component role of the environment's connection; a detached one sees
// component and environment only; without a component role an
// AWS-managed deployment fails, naming the setting.
func TestPrepareRendersWhatAComponentSees(t *testing.T) {
	f := fakeTargetStore{
		env: store.Environment{Account: "111111111111", Region: "us-east-1", Name: "dev", ComponentRoleArn: "arn:aws:iam::111111111111:role/c",
			LastSucceededDeploymentID: "e1", Mode: store.ModeManaged},
		svc:     store.Service{Name: "web"},
		inst:    store.ServiceTarget{ServiceName: "web", Name: "front", TemplateState: store.TemplateState{Inputs: `{"port":80}`}},
		outputs: map[string][]store.Output{"e1": {{Key: "Vpc", Value: "vpc-1"}}},
	}
	attached := store.ComponentDocument{Manifest: cfnManifest, TemplateFile: probe, ServiceName: "web", ServiceInstanceName: "front"}
	for _, c := range []struct {
		name string
		doc  store.ComponentDocument
		conn bool
		want string
	}{
		{"attached", attached, false, "c1|dev|vpc-1|front|web|80"},
		{"attached with a service spec's inputs", func() store.ComponentDocument {
			d := attached
			d.Inputs = []byte(`{"port":8080}`)
			return d
		}(), false, "c1|dev|vpc-1|front|web|8080"},
		{"through a connection", attached, true, "c1|dev|vpc-1|front|web|80"},
		{"detached", store.ComponentDocument{Manifest: cfnManifest, TemplateFile: probe}, false, "c1|dev|vpc-1|-|-|-"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := f
			if c.conn {
				s.env.EnvironmentAccountConnectionID, s.env.ComponentRoleArn = "conn-1", ""
				s.conn = store.Connection{ID: "conn-1", EnvironmentAccountID: "222222222222", ComponentRoleArn: "arn:aws:iam::222222222222:role/c"}
			}
			run, err := NewTarget(s, nil).Prepare(t.Context(), deployment(c.doc, ""))
			if err != nil {
				t.Fatal(err)
			}
			outs, err := provision.CloudFormationOutputs(run.Request.Files[0].Content, provision.Stack{})
			if err != nil || len(outs) != 1 || outs[0].Value != c.want {
				t.Fatalf("rendered %q (%v), want Probe %q", run.Request.Files[0].Content, err, c.want)
			}
			wantRole, wantAccount, wantConn := s.env.ComponentRoleArn, "111111111111", ""
			if c.conn {
				wantRole, wantAccount, wantConn = s.conn.ComponentRoleArn, "222222222222", "conn-1"
			}
			if cr := run.Request.Credentials; cr.RoleArn != wantRole || cr.Account != wantAccount || run.Connection != wantConn {
				t.Errorf("credentials %+v, connection %q", cr, run.Connection)
			}
		})
	}
	s := f
	s.env.ComponentRoleArn = ""
	if _, err := NewTarget(s, nil).Prepare(t.Context(), deployment(attached, "")); err == nil || !strings.Contains(err.Error(), "componentRoleArn") {
		t.Errorf("without a component role: %v", err)
	}
}
