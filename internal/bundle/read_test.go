package bundle

import (
	"archive/tar"
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

const svcSchema = `schema:
  format:
    openapi: "3.0.0"
  service_input_type: "SvcInput"
  pipeline_input_type: "PipeInput"
  types:
    SvcInput:
      type: object
      properties:
        port:
          type: integer
          default: 80
          minimum: 1
          maximum: 65535
        image:
          type: string
          minLength: 1
      required: [image]
    PipeInput:
      type: object
      properties:
        unit_test_command:
          type: string
          default: "echo 'add your unit test command here'"
        branch:
          type: string
      required: [branch]
`

const customerManagedSchema = `schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "Outputs"
  types:
    Outputs:
      type: object
      properties:
        vpc_id:
          type: string
        cluster_arn:
          type: string
          pattern: "^arn:"
      required: [vpc_id]
`

const tfManifest = `infrastructure:
  templates:
    - file: "*"
      rendering_engine: hcl
      template_language: terraform
`

// tfMain is Terraform that is not valid YAML (a ": " inside a multi-line
// plain scalar), so the bundle tests show .tf files are exempt.
const tfMain = `resource "aws_s3_bucket" "b" {
  bucket = "arn:aws: ${var.environment.inputs.name}"
}
`

const codebuildManifest = `infrastructure:
  templates:
    - rendering_engine: codebuild
      settings:
        image: aws/codebuild/amazonlinux2-x86_64-standard:4.0
        runtimes:
          nodejs: 16
        provision:
          - npm install
          - ./deploy.sh
        deprovision:
          - ./destroy.sh
        project_properties:
          VpcConfig:
            VpcId: "{{ environment.inputs.vpc_id }}"
      input_type: HCL
`

// script is a CodeBuild support file that is not valid YAML.
const script = "#!/bin/sh\necho \"deploying: now: here\"\n"

func TestSupportFilesAreNotYAML(t *testing.T) {
	// The good bundles below include these to show they are exempt; make
	// sure they really would fail the YAML check.
	for _, s := range []string{tfMain, script} {
		if _, err := parseYAMLDocs([]byte(s), false); err == nil {
			t.Fatalf("%q parses as YAML; the exemption tests would prove nothing", s)
		}
	}
}

func TestReadGoodEnvironmentCloudFormation(t *testing.T) {
	b, err := Read(envBundle(t), ReadOptions{Kind: KindEnvironment})
	if err != nil {
		t.Fatal(err)
	}
	if b.SchemaText != envSchema {
		t.Errorf("SchemaText differs from the file")
	}
	want := &Manifest{Dir: "infrastructure", InputType: "JSON", Templates: []ManifestTemplate{
		{File: "cloudformation.yaml", RenderingEngine: "jinja", TemplateLanguage: "cloudformation"}}}
	if !reflect.DeepEqual(b.Infrastructure, want) {
		t.Errorf("manifest %+v, want %+v", b.Infrastructure, want)
	}
	if b.Pipeline != nil || b.Schema == nil || b.Schema.HasPipeline() {
		t.Errorf("pipeline %v schema %v", b.Pipeline, b.Schema)
	}
	paths := sortedPaths(b.Files)
	if strings.Join(paths, ",") != "infrastructure/cloudformation.yaml,infrastructure/manifest.yaml,schema/schema.yaml" {
		t.Errorf("files %v", paths)
	}
	if f := b.File("infrastructure/cloudformation.yaml"); f == nil || string(f.Data) != cfnTemplate {
		t.Errorf("template file not kept as uploaded")
	}
}

func TestReadWrappedAndDecoratedBundles(t *testing.T) {
	wrapped := bundletest.TarGz(t,
		bundletest.Entry{Name: "mytemplate/", Type: tar.TypeDir},
		bundletest.Entry{Name: "mytemplate/schema/", Type: tar.TypeDir},
		f("mytemplate/schema/schema.yaml", envSchema),
		bundletest.Entry{Name: "mytemplate/infrastructure/", Type: tar.TypeDir},
		f("mytemplate/infrastructure/manifest.yaml", bundletest.CFNManifest),
		f("mytemplate/infrastructure/cloudformation.yaml", cfnTemplate),
	)
	// git archive writes a global header; tar run in a folder writes ./
	// paths; macOS tar adds AppleDouble files, which are not YAML.
	decorated := bundletest.TarGz(t,
		bundletest.Entry{Name: "pax_global_header", Type: tar.TypeXGlobalHeader},
		bundletest.Entry{Name: "./", Type: tar.TypeDir},
		f("./schema/schema.yaml", envSchema),
		f("./infrastructure/manifest.yaml", bundletest.CFNManifest),
		f("./infrastructure/cloudformation.yaml", cfnTemplate),
		f("./infrastructure/._cloudformation.yaml", "\x00\x05\x16\x07 binary: : :"),
		f(".DS_Store", "\x00\x00\x00\x01Bud1"),
	)
	for name, data := range map[string][]byte{"wrapped": wrapped, "decorated": decorated} {
		t.Run(name, func(t *testing.T) {
			b, err := Read(data, ReadOptions{Kind: KindEnvironment})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sortedPaths(b.Files), ","); got != "infrastructure/cloudformation.yaml,infrastructure/manifest.yaml,schema/schema.yaml" {
				t.Fatalf("files %s", got)
			}
		})
	}
}

func TestReadKeepsKnownFolderAsRoot(t *testing.T) {
	// A customer-managed bundle holds only schema/: that folder is the
	// bundle's own, not a wrapper to strip.
	b, err := Read(bundletest.TarGz(t, f("schema/schema.yaml", customerManagedSchema)), ReadOptions{Kind: KindEnvironment, CustomerManaged: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Infrastructure != nil || b.Files[0].Path != "schema/schema.yaml" {
		t.Fatalf("infrastructure %v files %v", b.Infrastructure, sortedPaths(b.Files))
	}
	in, err := b.Schema.ValidateEnvironmentSpec("proton: EnvironmentSpec\nspec:\n  vpc_id: vpc-1\n  cluster_arn: arn:aws:ecs:x\n", nil)
	if err != nil || in["vpc_id"] != "vpc-1" {
		t.Fatalf("inputs %v err %v", in, err)
	}
}

func TestReadGoodServiceBundles(t *testing.T) {
	withPipeline := bundletest.TarGz(t,
		f("schema/schema.yaml", svcSchema),
		f("instance_infrastructure/manifest.yaml", bundletest.CFNManifest),
		f("instance_infrastructure/cloudformation.yaml", cfnTemplate),
		f("pipeline_infrastructure/manifest.yaml", bundletest.CFNManifest),
		f("pipeline_infrastructure/cloudformation.yaml", "Resources:\n{% for service_instance in service_instances %}\n  Deploy{{ service_instance.name }}:\n    Type: AWS::X\n{% endfor %}\n"),
	)
	b, err := Read(withPipeline, ReadOptions{Kind: KindService})
	if err != nil {
		t.Fatal(err)
	}
	if b.Pipeline == nil || b.Pipeline.Dir != "pipeline_infrastructure" || b.Infrastructure.Dir != "instance_infrastructure" || !b.Schema.HasPipeline() {
		t.Fatalf("pipeline %+v infrastructure %+v", b.Pipeline, b.Infrastructure)
	}

	noPipeline := bundletest.TarGz(t,
		f("schema/schema.yaml", bundletest.ServiceSchemaNoPipeline),
		f("instance_infrastructure/manifest.yaml", tfManifest),
		f("instance_infrastructure/main.tf", tfMain),
		f("instance_infrastructure/outputs.tf", "output \"x\" {\n  value = 1\n}\n"),
		f("instance_infrastructure/modules/net/net.tf", tfMain),
	)
	for _, o := range []ReadOptions{{Kind: KindService}, {Kind: KindService, NoPipeline: true}} {
		b, err := Read(noPipeline, o)
		if err != nil {
			t.Fatal(err)
		}
		want := &Manifest{Dir: "instance_infrastructure", InputType: "JSON", Templates: []ManifestTemplate{
			{File: "*", RenderingEngine: "hcl", TemplateLanguage: "terraform"}}}
		if b.Pipeline != nil || b.Schema.HasPipeline() || !reflect.DeepEqual(b.Infrastructure, want) {
			t.Fatalf("pipeline %v manifest %+v", b.Pipeline, b.Infrastructure)
		}
	}
}

func TestReadGoodTerraformAndCodeBuild(t *testing.T) {
	tf := bundletest.TarGz(t,
		f("schema/schema.yaml", envSchema),
		f("infrastructure/manifest.yaml", "infrastructure:\n  templates:\n    - file: main.tf\n      rendering_engine: hcl\n      template_language: terraform\n    - file: vars.tfvars\n      rendering_engine: hcl\n      template_language: terraform\n"),
		f("infrastructure/main.tf", tfMain),
		f("infrastructure/vars.tfvars", "a = \"b: c\"\nd = e: f\n"),
		f("infrastructure/.terraform.lock.hcl", "provider \"x\" {\n  version = \"1: 2\"\n}\n"),
	)
	b, err := Read(tf, ReadOptions{Kind: KindEnvironment})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Infrastructure.Templates) != 2 || b.Infrastructure.Templates[1].File != "vars.tfvars" {
		t.Fatalf("templates %+v", b.Infrastructure.Templates)
	}

	cb := bundletest.TarGz(t,
		f("schema/schema.yaml", envSchema),
		f("infrastructure/manifest.yaml", codebuildManifest),
		f("infrastructure/deploy.sh", script),
		f("infrastructure/destroy.sh", script),
		f("infrastructure/src/app.ts", "import x from 'y'; const a = {b: 1};\n\tlet c: d: e"),
	)
	b, err = Read(cb, ReadOptions{Kind: KindEnvironment})
	if err != nil {
		t.Fatal(err)
	}
	m := b.Infrastructure
	if m.InputType != "HCL" || m.CodeBuild == nil || len(m.Templates) != 1 || m.Templates[0].RenderingEngine != "codebuild" {
		t.Fatalf("manifest %+v", m)
	}
	c := m.CodeBuild
	if c.Image != "aws/codebuild/amazonlinux2-x86_64-standard:4.0" ||
		!reflect.DeepEqual(c.Provision, []string{"npm install", "./deploy.sh"}) ||
		!reflect.DeepEqual(c.Deprovision, []string{"./destroy.sh"}) ||
		c.Runtimes["nodejs"] != "16" || c.Settings["project_properties"] == nil {
		t.Fatalf("codebuild settings %+v", c)
	}
}

func TestReadFaults(t *testing.T) {
	env := ReadOptions{Kind: KindEnvironment}
	svc := ReadOptions{Kind: KindService}
	big := func(n int) string { return strings.Repeat("#", n) }
	many := func(n int) []bundletest.Entry {
		es := []bundletest.Entry{f("schema/schema.yaml", envSchema), f("infrastructure/manifest.yaml", bundletest.CFNManifest), f("infrastructure/cloudformation.yaml", cfnTemplate)}
		for i := len(es); i < n; i++ {
			es = append(es, f(fmt.Sprintf("infrastructure/extra%d.yaml", i), "a: 1\n"))
		}
		return es
	}
	manifest := func(body string) []byte {
		return bundletest.TarGz(t, f("schema/schema.yaml", envSchema), f("infrastructure/manifest.yaml", body),
			f("infrastructure/cloudformation.yaml", cfnTemplate), f("infrastructure/main.tf", tfMain))
	}
	good := envBundle(t)
	tests := []struct {
		name string
		data []byte
		o    ReadOptions
		want string
	}{
		{"object too large", make([]byte, MaxBundleBytes+1), env, "bundle is 5242881 bytes; at most 5242880 bytes (5 MB) are allowed"},
		{"not gzip", []byte("just some text"), env, "bundle is not gzip-compressed; a template bundle is a .tar.gz file"},
		{"not tar", bundletest.Gzip(t, bytes.Repeat([]byte("not a tar archive "), 100)), env, "bundle is not a tar archive"},
		{"truncated", good[:len(good)/2], env, "bundle is truncated: its data ends unexpectedly"},
		{"truncated trailer", good[:len(good)-4], env, "bundle is truncated: its data ends unexpectedly"},
		{"bad checksum", append(append([]byte{}, good[:len(good)-8]...), 1, 2, 3, 4, 5, 6, 7, 8), env, "bundle's gzip data is damaged: gzip: invalid checksum"},
		{"too many files in a folder", bundletest.TarGz(t, many(12)...), env, "infrastructure/ holds 11 files; at most 10 are allowed in each folder of a bundle"},
		{"too many files outside the folders", envBundle(t, func() []bundletest.Entry {
			var es []bundletest.Entry
			for i := range 11 {
				es = append(es, f(fmt.Sprintf("docs/%d.yaml", i), "a: 1\n"))
			}
			return es
		}()...), env, "the bundle holds 11 files outside schema/, infrastructure/, instance_infrastructure/ and pipeline_infrastructure/; at most 10 are allowed"},
		{"file too large", envBundle(t, f("infrastructure/big.yaml", big(MaxFileBytes+1))), env,
			"infrastructure/big.yaml: file is 204801 bytes; at most 204800 bytes (200 KB) are allowed"},
		{"manifest too large", bundletest.TarGz(t, f("schema/schema.yaml", envSchema), f("infrastructure/manifest.yaml", bundletest.CFNManifest+big(MaxManifestBytes))), env,
			"infrastructure/manifest.yaml: file is 51333 bytes; at most 51200 bytes (50 KB) are allowed"},
		{"schema too large", bundletest.TarGz(t, f("schema/schema.yaml", envSchema+big(MaxSchemaBytes))), env,
			"schema/schema.yaml: file is"},
		{"decompressed too large", bundletest.TarGz(t, func() []bundletest.Entry {
			var es []bundletest.Entry
			for i := 0; i < 60; i++ {
				es = append(es, f(fmt.Sprintf("f%d", i), big(MaxFileBytes)))
			}
			return es
		}()...), env, "bundle is larger than 10485760 bytes once decompressed"},
		{"absolute path", envBundle(t, f("/etc/passwd", "a: 1")), env, "/etc/passwd: absolute paths are not allowed in a bundle"},
		{"dot-dot path", envBundle(t, f("infrastructure/../../x.yaml", "a: 1")), env, "infrastructure/../../x.yaml: paths with .. are not allowed in a bundle"},
		{"backslash path", envBundle(t, f(`infrastructure\x.yaml`, "a: 1")), env, `infrastructure\x.yaml: paths must use / as separator`},
		{"symlink", envBundle(t, bundletest.Entry{Name: "infrastructure/link.yaml", Type: tar.TypeSymlink, Linkname: "/etc/passwd"}), env,
			"infrastructure/link.yaml: symbolic links are not allowed in a bundle"},
		{"hard link", envBundle(t, bundletest.Entry{Name: "infrastructure/hard.yaml", Type: tar.TypeLink, Linkname: "schema/schema.yaml"}), env,
			"infrastructure/hard.yaml: hard links are not allowed in a bundle"},
		{"device", envBundle(t, bundletest.Entry{Name: "dev", Type: tar.TypeChar}), env, "dev: devices and pipes are not allowed in a bundle"},
		{"fifo", envBundle(t, bundletest.Entry{Name: "pipe", Type: tar.TypeFifo}), env, "pipe: devices and pipes are not allowed in a bundle"},
		{"duplicate", envBundle(t, f("infrastructure/cloudformation.yaml", "a: 1")), env, "infrastructure/cloudformation.yaml: the file appears twice in the bundle"},
		{"file and folder", envBundle(t, f("infrastructure", "a: 1")), env, "infrastructure: is both a file and a folder in the bundle"},
		{"no schema", bundletest.TarGz(t, f("infrastructure/manifest.yaml", bundletest.CFNManifest)), env, "bundle has no schema/schema.yaml (found: infrastructure/)"},
		{"empty archive", bundletest.TarGz(t), env, "bundle has no schema/schema.yaml (the bundle is empty)"},
		{"schema not YAML", bundletest.TarGz(t, f("schema/schema.yaml", "schema:\n  format: [\n"), f("infrastructure/manifest.yaml", bundletest.CFNManifest), f("infrastructure/cloudformation.yaml", cfnTemplate)), env,
			"schema/schema.yaml: not valid YAML: line 2: did not find expected node content"},
		{"other file not YAML", envBundle(t, f("infrastructure/extra.yaml", "a: [b\n")), env, "infrastructure/extra.yaml: not valid YAML"},
		{"file at root not YAML", envBundle(t, f("README.md", "# Title\nkey: value: other\n")), env, "README.md: not valid YAML"},
		{"zip in a CloudFormation folder", envBundle(t, f("infrastructure/lambda.zip", "PK\x03\x04\x00\x00binary")), env,
			"infrastructure/lambda.zip: line 1: holds the character U+0000 (NUL)"},
		{"no infrastructure manifest", bundletest.TarGz(t, f("schema/schema.yaml", envSchema), f("infrastructure/cloudformation.yaml", cfnTemplate)), env,
			"bundle has no infrastructure/manifest.yaml (found: infrastructure/, schema/)"},
		{"customer-managed with infrastructure", bundletest.TarGz(t, f("schema/schema.yaml", customerManagedSchema), f("infrastructure/manifest.yaml", bundletest.CFNManifest)),
			ReadOptions{Kind: KindEnvironment, CustomerManaged: true},
			"infrastructure/manifest.yaml: a customer-managed environment template bundle holds only schema/"},
		{"customer-managed schema with number", bundletest.TarGz(t, f("schema/schema.yaml", strings.Replace(customerManagedSchema, "vpc_id:\n          type: string", "vpc_id:\n          type: number", 1))),
			ReadOptions{Kind: KindEnvironment, CustomerManaged: true},
			"types.Outputs.properties.vpc_id: a customer-managed environment template takes only string inputs without defaults"},
		{"customer-managed schema with default", bundletest.TarGz(t, f("schema/schema.yaml", strings.Replace(customerManagedSchema, "vpc_id:\n          type: string", "vpc_id:\n          type: string\n          default: vpc-1", 1))),
			ReadOptions{Kind: KindEnvironment, CustomerManaged: true},
			"types.Outputs.properties.vpc_id: a customer-managed environment template takes only string inputs without defaults"},
		{"environment with instance folder", envBundle(t, f("instance_infrastructure/manifest.yaml", bundletest.CFNManifest)), env,
			"instance_infrastructure/: not allowed in an environment template bundle, which uses infrastructure/"},
		{"service with infrastructure folder", bundletest.TarGz(t, f("schema/schema.yaml", bundletest.ServiceSchemaNoPipeline), f("infrastructure/manifest.yaml", bundletest.CFNManifest)), svc,
			"infrastructure/: not allowed in a service template bundle"},
		{"service without instance manifest", bundletest.TarGz(t, f("schema/schema.yaml", bundletest.ServiceSchemaNoPipeline)), svc,
			"bundle has no instance_infrastructure/manifest.yaml (found: schema/)"},
		{"pipeline folder with NoPipeline", bundletest.TarGz(t, f("schema/schema.yaml", bundletest.ServiceSchemaNoPipeline),
			f("instance_infrastructure/manifest.yaml", bundletest.CFNManifest), f("instance_infrastructure/cloudformation.yaml", cfnTemplate),
			f("pipeline_infrastructure/manifest.yaml", bundletest.CFNManifest), f("pipeline_infrastructure/cloudformation.yaml", cfnTemplate)),
			ReadOptions{Kind: KindService, NoPipeline: true},
			"pipeline_infrastructure/: not allowed: the service template's pipeline is managed outside Proton (pipelineProvisioning CUSTOMER_MANAGED)"},
		{"pipeline schema with NoPipeline", bundletest.TarGz(t, f("schema/schema.yaml", svcSchema),
			f("instance_infrastructure/manifest.yaml", bundletest.CFNManifest), f("instance_infrastructure/cloudformation.yaml", cfnTemplate)),
			ReadOptions{Kind: KindService, NoPipeline: true},
			"schema/schema.yaml: pipeline_input_type is not allowed: the service template's pipeline is managed outside Proton"},
		{"pipeline schema without folder", bundletest.TarGz(t, f("schema/schema.yaml", svcSchema),
			f("instance_infrastructure/manifest.yaml", bundletest.CFNManifest), f("instance_infrastructure/cloudformation.yaml", cfnTemplate)), svc,
			"schema/schema.yaml declares pipeline_input_type, but the bundle has no pipeline_infrastructure/"},
		{"pipeline folder without schema type", bundletest.TarGz(t, f("schema/schema.yaml", bundletest.ServiceSchemaNoPipeline),
			f("instance_infrastructure/manifest.yaml", bundletest.CFNManifest), f("instance_infrastructure/cloudformation.yaml", cfnTemplate),
			f("pipeline_infrastructure/manifest.yaml", bundletest.CFNManifest), f("pipeline_infrastructure/cloudformation.yaml", cfnTemplate)), svc,
			"pipeline_infrastructure/ is present, but schema/schema.yaml declares no pipeline_input_type"},
		{"pipeline manifest missing", bundletest.TarGz(t, f("schema/schema.yaml", svcSchema),
			f("instance_infrastructure/manifest.yaml", bundletest.CFNManifest), f("instance_infrastructure/cloudformation.yaml", cfnTemplate),
			f("pipeline_infrastructure/cloudformation.yaml", cfnTemplate)), svc,
			"bundle has no pipeline_infrastructure/manifest.yaml"},
		{"manifest not YAML", manifest("infrastructure: [\n"), env, "infrastructure/manifest.yaml: not valid YAML"},
		{"manifest without infrastructure", manifest("templates: []\n"), env, "infrastructure/manifest.yaml: line 1: has no infrastructure: key"},
		{"manifest without templates", manifest("infrastructure:\n  templates: []\n"), env, "infrastructure/manifest.yaml: line 2: infrastructure.templates must list at least one template"},
		{"unknown rendering engine", manifest("infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: erb\n      template_language: cloudformation\n"), env,
			`infrastructure/manifest.yaml: line 4: templates[0]: rendering_engine "erb" is not supported; use jinja (CloudFormation), hcl (Terraform) or codebuild`},
		{"missing rendering engine", manifest("infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"), env,
			"templates[0]: rendering_engine is required"},
		{"unknown template language", manifest("infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n      template_language: pulumi\n"), env,
			`infrastructure/manifest.yaml: line 5: templates[0]: template_language "pulumi" does not go with rendering_engine jinja, which renders cloudformation`},
		{"mismatched language", manifest("infrastructure:\n  templates:\n    - file: main.tf\n      rendering_engine: hcl\n      template_language: cloudformation\n"), env,
			`template_language "cloudformation" does not go with rendering_engine hcl, which renders terraform`},
		{"missing language", manifest("infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n"), env,
			"templates[0]: template_language is required; rendering_engine jinja goes with template_language cloudformation"},
		{"missing file", manifest("infrastructure:\n  templates:\n    - file: missing.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n"), env,
			`infrastructure/manifest.yaml: line 3: templates[0]: file "missing.yaml" is not in infrastructure/`},
		{"file escapes", manifest("infrastructure:\n  templates:\n    - file: ../schema/schema.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n"), env,
			`templates[0]: file "../schema/schema.yaml" must be a path inside infrastructure/`},
		{"no file", manifest("infrastructure:\n  templates:\n    - rendering_engine: jinja\n      template_language: cloudformation\n"), env,
			"templates[0]: file is required"},
		{"wildcard for cloudformation", manifest("infrastructure:\n  templates:\n    - file: '*'\n      rendering_engine: jinja\n      template_language: cloudformation\n"), env,
			`templates[0]: file "*" is allowed only with rendering_engine hcl (Terraform)`},
		{"wildcard without tf", bundletest.TarGz(t, f("schema/schema.yaml", envSchema), f("infrastructure/manifest.yaml", tfManifest), f("infrastructure/nested/x.tf", tfMain)), env,
			`templates[0]: file "*" matches no .tf file in infrastructure/`},
		{"two cloudformation templates", manifest("infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n"), env,
			"a manifest with rendering_engine jinja lists exactly one template"},
		{"mixed engines", manifest("infrastructure:\n  templates:\n    - file: main.tf\n      rendering_engine: hcl\n      template_language: terraform\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n"), env,
			"all templates of a manifest must use the same rendering_engine"},
		{"bad input type", manifest("infrastructure:\n  templates:\n    - file: main.tf\n      rendering_engine: hcl\n      template_language: terraform\n      input_type: XML\n"), env,
			`templates[0]: input_type "XML" is not supported; use JSON or HCL`},
		{"codebuild without settings", manifest("infrastructure:\n  templates:\n    - rendering_engine: codebuild\n"), env,
			"templates[0]: rendering_engine codebuild needs settings with image, provision and deprovision"},
		{"codebuild without image", manifest("infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n        provision: [a]\n        deprovision: [b]\n"), env,
			"templates[0].settings: image is required"},
		{"codebuild without provision", manifest("infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n        image: x\n        deprovision: [b]\n"), env,
			"templates[0].settings: provision is required (a list of shell commands)"},
		{"codebuild empty provision", manifest("infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n        image: x\n        provision: []\n        deprovision: [b]\n"), env,
			"templates[0].settings.provision must list at least one command"},
		{"codebuild command not text", manifest("infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n        image: x\n        provision: [{a: b}]\n        deprovision: [b]\n"), env,
			"templates[0].settings.provision: each command must be a line of text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.data, tc.o)
			wantProblem(t, err, tc.want)
		})
	}
}

func TestReadManyFilesStaysBounded(t *testing.T) {
	// Thousands of empty entries: counted, never kept.
	var es []bundletest.Entry
	for i := 0; i < 5000; i++ {
		es = append(es, f(fmt.Sprintf("x/%d", i), ""))
	}
	_, err := Read(bundletest.TarGz(t, es...), ReadOptions{Kind: KindEnvironment})
	wantProblem(t, err, "the bundle holds 5000 files outside schema/, infrastructure/, instance_infrastructure/ and pipeline_infrastructure/; at most 10 are allowed")
}

// TestReadCountsFilesPerFolder: the 10-file quota counts each folder of a
// bundle on its own, as AWS's Terraform samples need (11 to 13 files in a
// service template bundle, at most 7 in a folder).
func TestReadCountsFilesPerFolder(t *testing.T) {
	es := []bundletest.Entry{f("schema/schema.yaml", svcSchema), f("instance_infrastructure/manifest.yaml", tfManifest),
		f("pipeline_infrastructure/manifest.yaml", tfManifest)}
	for i := range 9 {
		es = append(es, f(fmt.Sprintf("instance_infrastructure/f%d.tf", i), tfMain), f(fmt.Sprintf("pipeline_infrastructure/f%d.tf", i), tfMain))
	}
	for i := range 10 {
		es = append(es, f(fmt.Sprintf("docs/%d.yaml", i), "a: 1\n"))
	}
	b, err := Read(bundletest.TarGz(t, es...), ReadOptions{Kind: KindService})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Files) != 31 {
		t.Fatalf("%d files kept, want all 31", len(b.Files))
	}
	// A wrapping folder is not a folder of the bundle: its folders are.
	var wrapped []bundletest.Entry
	for _, e := range es {
		wrapped = append(wrapped, f("mytemplate/"+e.Name, e.Body))
	}
	if _, err := Read(bundletest.TarGz(t, wrapped...), ReadOptions{Kind: KindService}); err != nil {
		t.Fatalf("wrapped: %v", err)
	}
	wantProblem(t, func() error {
		_, err := Read(bundletest.TarGz(t, append(wrapped, f("mytemplate/pipeline_infrastructure/extra.tf", tfMain))...), ReadOptions{Kind: KindService})
		return err
	}(), "pipeline_infrastructure/ holds 11 files; at most 10 are allowed in each folder of a bundle")
}

// TestReadTakesJinjaTemplatesAsTheyAre: a Jinja template is YAML only once
// rendered (docs/bundles.md), so registration takes one that is not YAML
// before rendering, as AWS's samples need, and keeps its bytes. Rendering
// checks the result.
func TestReadTakesJinjaTemplatesAsTheyAre(t *testing.T) {
	notYAML := "Resources:\n{% for s in environment.inputs.subnets %}\n  {{ s }}: {{ '{' }}\n{% endfor %}\nOutputs: [\x00\n"
	for _, o := range []ReadOptions{{Kind: KindEnvironment}, {Kind: KindService}} {
		dir := "infrastructure"
		schema := envSchema
		if o.Kind == KindService {
			dir, schema = "instance_infrastructure", bundletest.ServiceSchemaNoPipeline
		}
		b, err := Read(bundletest.TarGz(t, f("schema/schema.yaml", schema), f(dir+"/manifest.yaml", bundletest.CFNManifest),
			f(dir+"/cloudformation.yaml", notYAML)), o)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if got := b.File(dir + "/cloudformation.yaml"); got == nil || string(got.Data) != notYAML {
			t.Errorf("%s/cloudformation.yaml = %q, want its bytes as uploaded", dir, got)
		}
	}
}

// TestReadTakesAnyBytesInTerraformAndCodeBuildFolders: a folder whose
// manifest renders with hcl or codebuild may hold any file, a .zip lambda
// package like AWS's Terraform samples, kept byte for byte.
func TestReadTakesAnyBytesInTerraformAndCodeBuildFolders(t *testing.T) {
	zip := "PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe: : \x00\x01"
	for manifest, extra := range map[string]bundletest.Entry{tfManifest: f("infrastructure/main.tf", tfMain), codebuildManifest: f("infrastructure/deploy.sh", script)} {
		b, err := Read(bundletest.TarGz(t, f("schema/schema.yaml", envSchema), f("infrastructure/manifest.yaml", manifest), extra,
			f("infrastructure/lambda.zip", zip), f("infrastructure/nested/notes.txt", "a: b: c\n")), ReadOptions{Kind: KindEnvironment})
		if err != nil {
			t.Fatalf("%s: %v", extra.Name, err)
		}
		if got := b.File("infrastructure/lambda.zip"); got == nil || string(got.Data) != zip {
			t.Errorf("lambda.zip = %q, want its bytes as uploaded", got)
		}
	}
}
