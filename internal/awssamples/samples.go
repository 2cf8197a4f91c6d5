// Package awssamples is for tests: it holds AWS's public Proton sample
// templates, unchanged (testdata/, MIT-0, each archive with its LICENSE),
// and says which of their folders are templates, which sample spec goes
// with each and which environment templates a service template is
// compatible with.
//
// AWS published these templates and ran them on AWS Proton, so they are
// the ground truth for what a bundle, a schema, a spec and a Jinja
// template may hold: a sample that does not register, render or deploy is
// a fault of openproton's, never of the sample.
//
//	cfn-sample-templates.tgz  aws-samples/aws-proton-cloudformation-sample-templates at 7780cf7d3cb95742f7bbf3f50201559b8c2d4cf1 (2023-01-06)
//	tf-sample-templates.tgz   aws-samples/aws-proton-terraform-sample-templates at d3279b7fb716fdb299319ba65dddd9511527f6f2 (2023-04-05)
//
// Images and READMEs of the repositories are left out of the archives.
package awssamples

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// The two sample repositories.
const (
	CloudFormation = "cloudformation"
	Terraform      = "terraform"
)

// Kinds of templates.
const (
	Environment = "environment"
	Service     = "service"
)

var (
	//go:embed testdata/cfn-sample-templates.tgz
	cfnArchive []byte
	//go:embed testdata/tf-sample-templates.tgz
	tfArchive []byte
)

// Template is one sample template: a folder of a sample repository that
// holds v1/ in the template-sync layout.
type Template struct {
	Repo string // CloudFormation or Terraform
	// Path is the template's folder in its repository, such as
	// "service-templates/apigw-lambda-svc"; Name is that folder's own name,
	// by which the repository's .compatible-envs files name templates.
	Path, Name string
	Kind       string            // Environment or Service
	Files      map[string][]byte // v1/'s files by their path in the bundle (schema/schema.yaml, ...)
	// Spec is the sample spec that the repository gives for the template,
	// and SpecPath where it is; both empty when it gives none.
	Spec, SpecPath string
	// Compatible lists the environment templates a service template is
	// compatible with, by Name and major version.
	Compatible []Compatible
}

// Compatible names a compatible environment template.
type Compatible struct{ Name, Major string }

// HasPipeline reports whether a service template provisions a pipeline.
func (t Template) HasPipeline() bool { return t.Files["pipeline_infrastructure/manifest.yaml"] != nil }

// Paths lists the template's files in order.
func (t Template) Paths() []string {
	out := make([]string, 0, len(t.Files))
	for p := range t.Files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Bundle is the template's bundle, as `tar czf BUNDLE -C v1 .` makes it.
func (t Template) Bundle() ([]byte, error) {
	var es []bundletest.Entry
	for _, p := range t.Paths() {
		es = append(es, bundletest.File(p, string(t.Files[p])))
	}
	return bundletest.Build(es...)
}

// Of returns the templates of kind (Environment or Service), in order.
func Of(templates []Template, kind string) []Template {
	var out []Template
	for _, t := range templates {
		if t.Kind == kind {
			out = append(out, t)
		}
	}
	return out
}

// groupSpecs are the sample specs that a repository keeps beside a group of
// templates rather than in a template's own spec/ folder: which spec goes
// with which template is said in each group's README, not in its files.
var groupSpecs = map[string]string{
	"lambda-multi-svc/lambda-env":   "lambda-multi-svc/specs/env-spec.yaml",
	"lambda-multi-svc/service-crud": "lambda-multi-svc/specs/svc-spec.yaml",
	// The README deploys the data processing service by repeating the
	// steps of the CRUD service, svc-spec.yaml included.
	"lambda-multi-svc/service-data-processing":                                       "lambda-multi-svc/specs/svc-spec.yaml",
	"loadbalanced-fargate-svc/loadbalanced-fargate-env":                              "loadbalanced-fargate-svc/specs/env-spec.yaml",
	"loadbalanced-fargate-svc/loadbalanced-fargate-svc":                              "loadbalanced-fargate-svc/specs/svc-spec.yaml",
	"public-private-fargate-microservices/microservices-env":                         "public-private-fargate-microservices/specs/env-spec.yaml",
	"public-private-fargate-microservices/microservices-svc/loadbalanced-public-svc": "public-private-fargate-microservices/specs/svc-public-spec.yaml",
	"public-private-fargate-microservices/microservices-svc/private-fargate-svc":     "public-private-fargate-microservices/specs/svc-private-spec.yaml",
	"lambda-vpc/sample-vpc-environment-template":                                     "specs/env-spec.yml",
}

// groupCompatible are the compatible environment templates of service
// templates whose folder has no .compatible-envs: the group's README pairs
// them with the environment template beside them.
var groupCompatible = map[string][]Compatible{
	"lambda-vpc/sample-lambda-function-template": {{Name: "sample-vpc-environment-template", Major: "1"}},
}

// archiveOf returns the files of the archive of repo by path.
func archiveOf(repo string) (map[string][]byte, error) {
	var archive []byte
	switch repo {
	case CloudFormation:
		archive = cfnArchive
	case Terraform:
		archive = tfArchive
	default:
		return nil, fmt.Errorf("no sample repository %q", repo)
	}
	files, err := untar(archive)
	if err != nil {
		return nil, fmt.Errorf("%s samples: %w", repo, err)
	}
	return files, nil
}

// Component is a sample directly defined component: its manifest and its
// one IaC file, as a developer passes them to CreateComponent.
type Component struct {
	Manifest, TemplateFile string
	// Path is the component's folder in its repository.
	Path string
}

// S3BucketComponent returns the S3 bucket component of repo: an S3 bucket
// and a managed policy for it, whose ARN it outputs as
// BucketAccessPolicyArn (cloudformation.yaml, or component.tf for
// Terraform).
func S3BucketComponent(repo string) (Component, error) {
	files, err := archiveOf(repo)
	if err != nil {
		return Component{}, err
	}
	const dir = "component-templates/s3-bucket-component"
	file := "cloudformation.yaml"
	if repo == Terraform {
		file = "component.tf"
	}
	m, f := files[dir+"/manifest.yaml"], files[dir+"/"+file]
	if m == nil || f == nil {
		return Component{}, fmt.Errorf("%s samples have no %s/{manifest.yaml,%s}", repo, dir, file)
	}
	return Component{Manifest: string(m), TemplateFile: string(f), Path: dir}, nil
}

// Templates returns the sample templates of repo (CloudFormation or
// Terraform), environment templates first, each kind ordered by path.
func Templates(repo string) ([]Template, error) {
	files, err := archiveOf(repo)
	if err != nil {
		return nil, err
	}
	var out []Template
	for name := range files {
		dir, ok := strings.CutSuffix(name, "/v1/schema/schema.yaml")
		if !ok {
			continue
		}
		t := Template{Repo: repo, Path: dir, Name: path.Base(dir), Files: map[string][]byte{}}
		for p, data := range files {
			if rel, ok := strings.CutPrefix(p, dir+"/v1/"); ok && !strings.HasPrefix(rel, ".") {
				t.Files[rel] = data
			}
		}
		t.Kind = Service
		if t.Files["infrastructure/manifest.yaml"] != nil {
			t.Kind = Environment
		}
		t.SpecPath = groupSpecs[dir]
		if t.SpecPath == "" {
			if _, ok := files[dir+"/spec/spec.yaml"]; ok {
				t.SpecPath = dir + "/spec/spec.yaml"
			}
		}
		if t.SpecPath != "" {
			spec, ok := files[t.SpecPath]
			if !ok {
				return nil, fmt.Errorf("%s samples: %s names %s, which the archive does not hold", repo, dir, t.SpecPath)
			}
			t.Spec = string(spec)
		}
		if t.Kind == Service {
			t.Compatible = groupCompatible[dir]
			if envs, ok := files[dir+"/v1/.compatible-envs"]; ok {
				t.Compatible = nil
				for _, f := range strings.Fields(string(envs)) {
					name, major, ok := strings.Cut(f, ":")
					if !ok {
						return nil, fmt.Errorf("%s samples: %s/v1/.compatible-envs: %q is not NAME:MAJOR", repo, dir, f)
					}
					t.Compatible = append(t.Compatible, Compatible{Name: name, Major: major})
				}
			}
			if len(t.Compatible) == 0 {
				return nil, fmt.Errorf("%s samples: service template %s names no compatible environment template", repo, dir)
			}
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind == Environment
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// untar reads the regular files of a gzipped tar archive by path.
func untar(archive []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[path.Clean(h.Name)] = data
	}
}
