package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// The crash harness's load of services: each worker has a third account,
// whose environment (crashSvcEnv), service template (crashSvcTemplate, with
// a pipeline) and pipeline role are made once before the first kill; the
// load creates services there (each an instance and a pipeline, deployed by
// the server's workers), changes their descriptions, tags and deletes them.
// The rules are those of the other families: one call at a time, every
// acknowledged answer recorded, at most one call in doubt.

const (
	crashSvcEnvTemplate = "senv"
	crashSvcEnv         = "se"
	crashSvcTemplate    = "ssvc"
	crashSvcBundleKey   = "svc.tar.gz"
	crashMaxServices    = 2
)

// crashServices is a worker's services account and its ledger.
type crashServices struct {
	account string
	cl      *proton.Client
	live    []*crashNamed
}

// setupServices makes the worker's services account ready, before the
// load: an environment deployed from a published environment template
// (with a component role, for the components of the load), a
// published service template version compatible with it, and the
// account's pipeline role.
func (w *crashWorker) setupServices(t *testing.T, cl *proton.Client, account string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w.svcs = crashServices{account: account, cl: cl}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("worker %d: set up the services account: %v", w.n, err)
		}
	}
	_, err := cl.CreateEnvironmentTemplate(ctx, &proton.CreateEnvironmentTemplateInput{Name: aws.String(crashSvcEnvTemplate)})
	must(err)
	v, err := cl.CreateEnvironmentTemplateVersion(ctx, &proton.CreateEnvironmentTemplateVersionInput{TemplateName: aws.String(crashSvcEnvTemplate),
		Source: &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String(crashBucket), Key: aws.String(crashBundleKey)}}})
	must(err)
	ekey := &proton.GetEnvironmentTemplateVersionInput{TemplateName: v.EnvironmentTemplateVersion.TemplateName,
		MajorVersion: v.EnvironmentTemplateVersion.MajorVersion, MinorVersion: v.EnvironmentTemplateVersion.MinorVersion}
	must(isoWaitVersion(ctx, func() (types.TemplateVersionStatus, error) {
		got, err := cl.GetEnvironmentTemplateVersion(ctx, ekey)
		if err != nil {
			return "", err
		}
		return got.EnvironmentTemplateVersion.Status, nil
	}))
	_, err = cl.UpdateEnvironmentTemplateVersion(ctx, &proton.UpdateEnvironmentTemplateVersionInput{TemplateName: ekey.TemplateName,
		MajorVersion: ekey.MajorVersion, MinorVersion: ekey.MinorVersion, Status: types.TemplateVersionStatusPublished})
	must(err)
	_, err = cl.CreateEnvironment(ctx, &proton.CreateEnvironmentInput{Name: aws.String(crashSvcEnv), TemplateName: aws.String(crashSvcEnvTemplate),
		TemplateMajorVersion: aws.String("1"), Spec: aws.String(crashSpec(w.n)), ProtonServiceRoleArn: connRole(account, "crash"),
		ComponentRoleArn: connRole(account, "component")})
	must(err)
	_, err = cl.CreateServiceTemplate(ctx, &proton.CreateServiceTemplateInput{Name: aws.String(crashSvcTemplate)})
	must(err)
	_, err = cl.CreateServiceTemplateVersion(ctx, &proton.CreateServiceTemplateVersionInput{TemplateName: aws.String(crashSvcTemplate),
		Source:                         &types.TemplateVersionSourceInputMemberS3{Value: types.S3ObjectSource{Bucket: aws.String(crashBucket), Key: aws.String(crashSvcBundleKey)}},
		CompatibleEnvironmentTemplates: []types.CompatibleEnvironmentTemplateInput{{TemplateName: aws.String(crashSvcEnvTemplate), MajorVersion: aws.String("1")}}})
	must(err)
	skey := &proton.GetServiceTemplateVersionInput{TemplateName: aws.String(crashSvcTemplate), MajorVersion: aws.String("1"), MinorVersion: aws.String("0")}
	must(publishServiceVersion(ctx, cl, skey))
	_, err = cl.UpdateAccountSettings(ctx, &proton.UpdateAccountSettingsInput{PipelineServiceRoleArn: connRole(account, "pipeline")})
	must(err)
	_, err = isoWaitEnv(ctx, cl, crashSvcEnv)
	must(err)
}

// crashSvcSpec is the spec of a service of the worker's load.
const crashSvcSpec = "proton: ServiceSpec\npipeline:\n  branch: main\ninstances:\n  - name: i\n    environment: " + crashSvcEnv + "\n"

// nextService picks the next service write at random among those the
// ledger allows; a delete needs the service ACTIVE, which it reads first.
func (w *crashWorker) nextService(t *testing.T) (op *crashOp, answered bool) {
	w.seq++
	choices, live := w.namedWrites(w.svcs.live, "svc")
	if live < crashMaxServices {
		tags := w.randomTags(w.rng.IntN(3))
		in := &proton.CreateServiceInput{Name: aws.String(fmt.Sprintf("w%ds%d", w.n, w.seq)), TemplateName: aws.String(crashSvcTemplate),
			TemplateMajorVersion: aws.String("1"), Spec: aws.String(crashSvcSpec), Description: aws.String(fmt.Sprintf("d%d", w.seq)),
			RepositoryConnectionArn: aws.String("arn:aws:codestar-connections:us-east-1:" + w.svcs.account + ":connection/crash"),
			RepositoryId:            aws.String("crash/service"), BranchName: aws.String("main"), Tags: crashTagList(tags)}
		choices = append(choices, &crashOp{kind: "svc-create", svcCreate: in, tags: tags}, &crashOp{kind: "svc-create", svcCreate: in, tags: tags})
	}
	op = choices[w.rng.IntN(len(choices))]
	if op.kind != "svc-delete" {
		return op, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := w.svcs.cl.GetService(ctx, &proton.GetServiceInput{Name: aws.String(op.named.name)})
	if err != nil {
		return nil, w.readFailed(t, "read service "+op.named.name, err)
	}
	if out.Service.Status != types.ServiceStatusActive {
		return nil, true
	}
	return op, true
}

// sendService makes one service write and applies an acknowledged answer
// to the ledger; it returns false when the call got no answer.
func (w *crashWorker) sendService(t *testing.T, op *crashOp) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := w.svcs.cl
	var (
		svc *types.Service
		err error
	)
	switch op.kind {
	case "svc-create":
		var o *proton.CreateServiceOutput
		if o, err = cl.CreateService(ctx, op.svcCreate); err == nil {
			svc = o.Service
		}
	case "svc-update":
		var o *proton.UpdateServiceOutput
		if o, err = cl.UpdateService(ctx, &proton.UpdateServiceInput{Name: aws.String(op.named.name), Description: aws.String(op.description)}); err == nil {
			svc = o.Service
		}
	case "svc-tag":
		_, err = cl.TagResource(ctx, &proton.TagResourceInput{ResourceArn: aws.String(op.named.arn), Tags: crashTagList(op.tags)})
	case "svc-delete":
		var o *proton.DeleteServiceOutput
		if o, err = cl.DeleteService(ctx, &proton.DeleteServiceInput{Name: aws.String(op.named.name)}); err == nil {
			svc = o.Service
		}
	}
	if err != nil {
		if code, status := connErr(err); code != "" || status >= 500 {
			t.Errorf("worker %d: %s answered %d %s: %v", w.n, op, status, code, err)
			return true
		}
		return false
	}
	w.acks[op.kind]++
	bad := func() { t.Errorf("worker %d: %s answered %s", w.n, op, isoJSON(svc)) }
	switch op.kind {
	case "svc-create":
		if svc == nil || aws.ToString(svc.Name) != aws.ToString(op.svcCreate.Name) || svc.Status != types.ServiceStatusCreateInProgress {
			bad()
			return true
		}
		recordNamed(&w.svcs.live, op, aws.ToString(svc.Name), aws.ToString(svc.Arn), aws.ToString(svc.Description))
	case "svc-update":
		if svc == nil || aws.ToString(svc.Description) != op.description {
			bad()
			return true
		}
		recordNamed(&w.svcs.live, op, "", "", "")
	case "svc-delete":
		if svc == nil || svc.Status != types.ServiceStatusDeleteInProgress {
			bad()
			return true
		}
		recordNamed(&w.svcs.live, op, "", "", "")
	default:
		recordNamed(&w.svcs.live, op, "", "", "")
	}
	return true
}

// verifyServices checks the services of w's ledger against a restarted
// server: every acknowledged service is there as answered (or as a write
// in doubt left it, whole), or gone after an acknowledged delete; nothing
// else exists. It runs before verify, which settles the write in doubt.
func (w *crashWorker) verifyServices(t *testing.T, st *crashStats) {
	t.Helper()
	w.verifyNamed(t, st, crashNamedFamily{noun: "service", prefix: "svc", fam: famServices, entries: &w.svcs.live,
		list: func(ctx context.Context) (map[string]crashSeen, error) {
			listed := map[string]crashSeen{}
			p := proton.NewListServicesPaginator(w.svcs.cl, &proton.ListServicesInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, s := range page.Services {
					listed[aws.ToString(s.Name)] = crashSeen{arn: aws.ToString(s.Arn), status: string(s.Status),
						deleting: s.Status == types.ServiceStatusDeleteInProgress, description: aws.String(aws.ToString(s.Description))}
				}
			}
			return listed, nil
		},
		created: func(op *crashOp) (string, string) {
			return aws.ToString(op.svcCreate.Name), aws.ToString(op.svcCreate.Description)
		}})
}

// settleServices waits until no service of the ledger has a change in
// flight: each ends ACTIVE, or gone after its delete. It returns how many
// it waited for.
func (w *crashWorker) settleServices(t *testing.T, within time.Duration) int {
	t.Helper()
	return w.settle(t, within, func(ctx context.Context) []string {
		var pending []string
		for _, s := range w.svcs.live {
			out, err := w.svcs.cl.GetService(ctx, &proton.GetServiceInput{Name: aws.String(s.name)})
			if code, _ := connErr(err); code == "ResourceNotFoundException" && s.deleting {
				continue
			}
			if err != nil {
				t.Fatalf("worker %d: read service %s: %v", w.n, s.name, err)
			}
			switch out.Service.Status {
			case types.ServiceStatusCreateInProgress, types.ServiceStatusDeleteInProgress:
				pending = append(pending, "service "+s.name+" "+string(out.Service.Status))
			case types.ServiceStatusActive:
				if p := out.Service.Pipeline; p == nil || p.DeploymentStatus != types.DeploymentStatusSucceeded {
					t.Errorf("worker %d: service %s is ACTIVE with its pipeline %s", w.n, s.name, isoJSON(p))
				}
			default:
				t.Errorf("worker %d: service %s ended %s: %s", w.n, s.name, out.Service.Status, aws.ToString(out.Service.StatusMessage))
			}
		}
		return pending
	})
}
