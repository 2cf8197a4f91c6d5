package bundle

import (
	"path"
	"regexp"
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

// checkYAMLFiles checks that every file is valid YAML, except Terraform
// files and the files of a CodeBuild folder (scripts and programs the
// commands run). CloudFormation files rendered with Jinja are checked with
// their Jinja tags blanked out, since a template is YAML only once rendered.
func checkYAMLFiles(b *Bundle) error {
	codebuild := map[string]bool{}
	jinja := map[string]bool{}
	for _, m := range []*Manifest{b.Infrastructure, b.Pipeline} {
		if m == nil {
			continue
		}
		if m.CodeBuild != nil {
			codebuild[m.Dir] = true
		}
		for _, t := range m.Templates {
			if t.RenderingEngine == EngineJinja {
				jinja[m.Dir+"/"+t.File] = true
			}
		}
	}
	for _, f := range b.Files {
		if f.Path == SchemaPath || isManifestPath(f.Path) || yamlExempt[path.Ext(f.Path)] {
			continue
		}
		top, _, _ := strings.Cut(f.Path, "/")
		if codebuild[top] {
			continue
		}
		data := f.Data
		if jinja[f.Path] {
			data = blankJinja(data)
		}
		if _, err := parseYAMLDocs(data, false); err != nil {
			return problemf("%s: %v", f.Path, err)
		}
	}
	return nil
}

// jinjaTag matches Jinja statements, comments and expressions.
var jinjaTag = regexp.MustCompile(`(?s)\{%.*?%\}|\{#.*?#\}|\{\{.*?\}\}`)

// blankJinja replaces Jinja statements and comments by nothing and
// expressions by a placeholder word, keeping line breaks so that YAML errors
// report the lines of the original file.
func blankJinja(data []byte) []byte {
	return jinjaTag.ReplaceAllFunc(data, func(m []byte) []byte {
		nl := strings.Repeat("\n", strings.Count(string(m), "\n"))
		if strings.HasPrefix(string(m), "{{") {
			return []byte("jinja" + nl)
		}
		return []byte(nl)
	})
}
