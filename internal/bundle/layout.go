package bundle

import (
	"path"
	"strings"
)

// assemble checks the layout of a bundle's files for the kind of template
// and parses its schema and manifests.
func assemble(files []File, o ReadOptions) (*Bundle, error) {
	for _, f := range files {
		switch {
		case f.Path == SchemaPath && len(f.Data) > MaxSchemaBytes:
			return nil, fileSizeFault(f.Path, len(f.Data), MaxSchemaBytes)
		case isManifestPath(f.Path) && len(f.Data) > MaxManifestBytes:
			return nil, fileSizeFault(f.Path, len(f.Data), MaxManifestBytes)
		}
	}
	b := &Bundle{Files: files}
	schemaFile := b.File(SchemaPath)
	if schemaFile == nil {
		return nil, problemf("bundle has no %s (%s)", SchemaPath, topLevel(files))
	}
	b.SchemaText = string(schemaFile.Data)
	if err := checkFolders(b, o); err != nil {
		return nil, err
	}
	s, err := parseSchema(b.SchemaText, o.Kind, o.CustomerManaged)
	if err != nil {
		return nil, err
	}
	b.Schema = s
	if o.Kind == KindService {
		if err := checkPipeline(b, o); err != nil {
			return nil, err
		}
	}
	if err := checkYAMLFiles(b); err != nil {
		return nil, err
	}
	return b, nil
}

func isManifestPath(p string) bool {
	dir, name := path.Split(p)
	return name == manifestName && knownTop[strings.TrimSuffix(dir, "/")] && dir != dirSchema+"/"
}

// checkFolders checks which folders the bundle holds and parses the
// infrastructure manifest.
func checkFolders(b *Bundle, o ReadOptions) error {
	has := func(dir string) bool { return len(inFolder(b.Files, dir)) > 0 }
	if o.Kind == KindEnvironment {
		if o.CustomerManaged {
			for _, f := range b.Files {
				if !strings.HasPrefix(f.Path, dirSchema+"/") {
					return problemf("%s: a customer-managed environment template bundle holds only schema/", f.Path)
				}
			}
			return nil
		}
		for _, d := range []string{dirInstance, dirPipeline} {
			if has(d) {
				return problemf("%s/: not allowed in an environment template bundle, which uses %s/", d, dirInfrastructure)
			}
		}
		m, err := readManifest(b.Files, dirInfrastructure)
		if err != nil {
			return err
		}
		b.Infrastructure = m
		return nil
	}
	if has(dirInfrastructure) {
		return problemf("%s/: not allowed in a service template bundle, which uses %s/ and %s/", dirInfrastructure, dirInstance, dirPipeline)
	}
	m, err := readManifest(b.Files, dirInstance)
	if err != nil {
		return err
	}
	b.Infrastructure = m
	if has(dirPipeline) {
		if o.NoPipeline {
			return problemf("%s/: not allowed: the service template's pipeline is managed outside Proton (pipelineProvisioning CUSTOMER_MANAGED)", dirPipeline)
		}
		p, err := readManifest(b.Files, dirPipeline)
		if err != nil {
			return err
		}
		b.Pipeline = p
	}
	return nil
}

// checkPipeline checks that the schema and the folders agree on whether the
// service template has a pipeline.
func checkPipeline(b *Bundle, o ReadOptions) error {
	switch {
	case b.Schema.HasPipeline() && o.NoPipeline:
		return problemf("%s: %s is not allowed: the service template's pipeline is managed outside Proton (pipelineProvisioning CUSTOMER_MANAGED)", SchemaPath, rolePipeline)
	case b.Schema.HasPipeline() && b.Pipeline == nil:
		return problemf("%s declares %s, but the bundle has no %s/", SchemaPath, rolePipeline, dirPipeline)
	case !b.Schema.HasPipeline() && b.Pipeline != nil:
		return problemf("%s/ is present, but %s declares no %s", dirPipeline, SchemaPath, rolePipeline)
	}
	return nil
}

func readManifest(files []File, dir string) (*Manifest, error) {
	p := dir + "/" + manifestName
	for _, f := range files {
		if f.Path == p {
			return parseManifest(dir, f.Data, inFolder(files, dir))
		}
	}
	return nil, problemf("bundle has no %s (%s)", p, topLevel(files))
}

// yamlExempt lists the extensions of files that need not be YAML: Terraform
// and HCL sources.
var yamlExempt = map[string]bool{".tf": true, ".tfvars": true, ".hcl": true}

// checkYAMLFiles checks that the files a bundle holds as YAML text are valid
// YAML. Three kinds of files are kept as bytes instead, unchecked:
//   - every file of a folder whose manifest renders with hcl (Terraform) or
//     codebuild: sources, scripts and programs, such as the .zip lambda
//     package of AWS's Terraform samples;
//   - Terraform files (.tf, .tfvars, .hcl) wherever they are;
//   - the Jinja templates a manifest names, which are YAML only once
//     rendered: AWS's own samples are not YAML before (a {% for %} on a
//     line of its own), so rendering checks them (RenderedYAML) and a
//     template that does not render to YAML fails its deployment.
func checkYAMLFiles(b *Bundle) error {
	bytesOnly := map[string]bool{}
	jinja := map[string]bool{}
	for _, m := range []*Manifest{b.Infrastructure, b.Pipeline} {
		if m == nil {
			continue
		}
		for _, t := range m.Templates {
			switch t.RenderingEngine {
			case EngineHCL, EngineCodeBuild:
				bytesOnly[m.Dir] = true
			case EngineJinja:
				jinja[m.Dir+"/"+t.File] = true
			}
		}
	}
	for _, f := range b.Files {
		top, _, _ := strings.Cut(f.Path, "/")
		if f.Path == SchemaPath || isManifestPath(f.Path) || yamlExempt[path.Ext(f.Path)] || bytesOnly[top] || jinja[f.Path] {
			continue
		}
		if _, err := parseYAMLDocs(f.Data, false); err != nil {
			return problemf("%s: %v", f.Path, err)
		}
	}
	return nil
}
