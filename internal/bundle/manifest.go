package bundle

import (
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rendering engines and template languages of a manifest.
const (
	EngineJinja         = "jinja"
	EngineHCL           = "hcl"
	EngineCodeBuild     = "codebuild"
	LanguageCFN         = "cloudformation"
	LanguageTerraform   = "terraform"
	InputTypeJSON       = "JSON"
	InputTypeHCL        = "HCL"
	terraformWildcard   = "*"
	terraformFileSuffix = ".tf"
)

// ManifestTemplate is one entry of a manifest's templates list. File is
// relative to the manifest's folder ("*" for every .tf file of the folder);
// File and TemplateLanguage are empty for CodeBuild.
type ManifestTemplate struct {
	File             string
	RenderingEngine  string
	TemplateLanguage string
}

// Manifest is a parsed manifest.yaml.
type Manifest struct {
	// Dir is "infrastructure", "instance_infrastructure" or
	// "pipeline_infrastructure".
	Dir       string
	Templates []ManifestTemplate
	// InputType is "JSON" (the default) or "HCL": the format of the input
	// file given to Terraform or CodeBuild.
	InputType string
	// CodeBuild holds the settings of rendering_engine codebuild.
	CodeBuild *CodeBuildSettings
}

// CodeBuildSettings are the settings of a CodeBuild manifest.
type CodeBuildSettings struct {
	Image       string
	Provision   []string
	Deprovision []string
	// Runtimes maps runtime names to versions (runtimes:), as written.
	Runtimes map[string]string
	// Settings is the whole settings: mapping as JSON-like values, including
	// keys not interpreted here (env, project_properties, ...).
	Settings map[string]any
}

type manifestParser struct {
	path  string // e.g. infrastructure/manifest.yaml
	dir   string
	files []File
	// anyFile: the manifest comes without its folder (a component's), so
	// a file it names is checked only for being a path inside it.
	anyFile bool
}

func (p *manifestParser) fault(line int, format string, args ...any) *Problem {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return problemf("%s: line %d: %s", p.path, line, msg)
	}
	return problemf("%s: %s", p.path, msg)
}

// parseManifest parses the manifest of folder dir, whose files are given.
// Keys a manifest may carry beyond the ones read here are ignored.
func parseManifest(dir string, data []byte, files []File) (*Manifest, error) {
	return (&manifestParser{path: dir + "/" + manifestName, dir: dir, files: files}).parse(data)
}

// ComponentDir is the folder a component's manifest and IaC file are
// given as: a component brings the two without a bundle.
const ComponentDir = "component"

// ParseComponentManifest parses the manifest of a directly defined
// component (proton-reference.md §2.7): one template, rendered with Jinja
// (CloudFormation) or HCL (Terraform), never CodeBuild; a Terraform
// manifest names its one file (file "*" is allowed, and stands for the one
// file the component brings).
func ParseComponentManifest(data []byte) (*Manifest, error) {
	p := &manifestParser{path: "manifest", dir: ComponentDir, anyFile: true}
	m, err := p.parse(data)
	if err != nil {
		return nil, err
	}
	switch {
	case len(m.Templates) != 1:
		return nil, p.fault(0, "a component's manifest lists exactly one template, not %d", len(m.Templates))
	case m.Templates[0].RenderingEngine == EngineCodeBuild:
		return nil, p.fault(0, "components cannot be provisioned with CodeBuild; use rendering_engine jinja (CloudFormation) or hcl (Terraform)")
	}
	return m, nil
}

func (p *manifestParser) parse(data []byte) (*Manifest, error) {
	dir := p.dir
	doc, err := parseYAMLDocs(data, true)
	if err != nil {
		return nil, p.fault(0, "%v", err)
	}
	top := resolve(root(doc))
	if top == nil || top.Kind != yaml.MappingNode {
		return nil, p.fault(0, "must be a mapping with an infrastructure: key")
	}
	infra, err := p.child(top, "infrastructure", yaml.MappingNode)
	if err != nil {
		return nil, err
	}
	if infra == nil {
		return nil, p.fault(top.Line, "has no infrastructure: key")
	}
	tl, err := p.child(infra, "templates", yaml.SequenceNode)
	if err != nil {
		return nil, err
	}
	if tl == nil || len(tl.Content) == 0 {
		return nil, p.fault(infra.Line, "infrastructure.templates must list at least one template")
	}
	m := &Manifest{Dir: dir, InputType: InputTypeJSON}
	inputTypes := map[string]bool{}
	for i, n := range tl.Content {
		t, inputType, err := p.template(i, resolve(n), m)
		if err != nil {
			return nil, err
		}
		m.Templates = append(m.Templates, t)
		if inputType != "" {
			inputTypes[inputType] = true
			m.InputType = inputType
		}
	}
	if len(inputTypes) > 1 {
		return nil, p.fault(tl.Line, "templates give different input_type values")
	}
	engine := m.Templates[0].RenderingEngine
	for _, t := range m.Templates[1:] {
		if t.RenderingEngine != engine {
			return nil, p.fault(tl.Line, "all templates of a manifest must use the same rendering_engine")
		}
	}
	if engine != EngineHCL && len(m.Templates) > 1 {
		return nil, p.fault(tl.Line, "a manifest with rendering_engine %s lists exactly one template", engine)
	}
	return m, nil
}

// child returns the value of key in mapping n, checking its kind; nil when
// the key is absent or null.
func (p *manifestParser) child(n *yaml.Node, key string, kind yaml.Kind) (*yaml.Node, error) {
	es, err := entries(n)
	if err != nil {
		return nil, p.fault(0, "%v", err)
	}
	for _, e := range es {
		if e.key != key {
			continue
		}
		v := resolve(e.value)
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			return nil, nil
		}
		if v.Kind != kind {
			return nil, p.fault(v.Line, "%s must be %s", key, kindName(kind))
		}
		return v, nil
	}
	return nil, nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

func (p *manifestParser) text(n *yaml.Node, key string) (string, int, error) {
	v, err := p.child(n, key, yaml.ScalarNode)
	if err != nil || v == nil {
		return "", 0, err
	}
	return v.Value, v.Line, nil
}

func (p *manifestParser) template(i int, n *yaml.Node, m *Manifest) (ManifestTemplate, string, error) {
	var t ManifestTemplate
	where := fmt.Sprintf("templates[%d]", i)
	if n == nil {
		return t, "", p.fault(0, "%s must be a mapping", where)
	}
	if n.Kind != yaml.MappingNode {
		return t, "", p.fault(n.Line, "%s must be a mapping with rendering_engine and the template's settings", where)
	}
	engine, line, err := p.text(n, "rendering_engine")
	if err != nil {
		return t, "", err
	}
	lang, langLine, err := p.text(n, "template_language")
	if err != nil {
		return t, "", err
	}
	file, fileLine, err := p.text(n, "file")
	if err != nil {
		return t, "", err
	}
	inputType, itLine, err := p.text(n, "input_type")
	if err != nil {
		return t, "", err
	}
	t.RenderingEngine = engine
	switch engine {
	case "":
		return t, "", p.fault(n.Line, "%s: rendering_engine is required (jinja, hcl or codebuild)", where)
	case EngineJinja, EngineHCL:
		want := LanguageCFN
		if engine == EngineHCL {
			want = LanguageTerraform
		}
		if lang != want {
			if lang == "" {
				return t, "", p.fault(n.Line, "%s: template_language is required; rendering_engine %s goes with template_language %s", where, engine, want)
			}
			return t, "", p.fault(langLine, "%s: template_language %q does not go with rendering_engine %s, which renders %s", where, lang, engine, want)
		}
		t.TemplateLanguage = lang
		if err := p.checkFile(where, engine, file, fileLine, n.Line); err != nil {
			return t, "", err
		}
		t.File = path.Clean(file)
		if file == terraformWildcard {
			t.File = terraformWildcard
		}
	case EngineCodeBuild:
		if lang != "" && lang != LanguageCFN && lang != LanguageTerraform {
			return t, "", p.fault(langLine, "%s: template_language %q is not supported; use cloudformation or terraform", where, lang)
		}
		t.TemplateLanguage = lang
		settings, err := p.codeBuild(where, n)
		if err != nil {
			return t, "", err
		}
		if it, ok := settings.Settings["input_type"].(string); ok && inputType == "" {
			inputType = it
		}
		m.CodeBuild = settings
	default:
		return t, "", p.fault(line, "%s: rendering_engine %q is not supported; use jinja (CloudFormation), hcl (Terraform) or codebuild", where, engine)
	}
	if inputType != "" && inputType != InputTypeJSON && inputType != InputTypeHCL {
		return t, "", p.fault(itLine, "%s: input_type %q is not supported; use JSON or HCL", where, inputType)
	}
	return t, inputType, nil
}

// checkFile checks that a template's file names a file of the folder.
func (p *manifestParser) checkFile(where, engine, file string, line, entryLine int) error {
	switch {
	case file == "":
		return p.fault(entryLine, "%s: file is required", where)
	case file == terraformWildcard:
		if engine != EngineHCL {
			return p.fault(line, "%s: file \"*\" is allowed only with rendering_engine hcl (Terraform)", where)
		}
		if p.anyFile {
			return nil
		}
		for _, f := range p.files {
			if path.Dir(f.Path) == p.dir && strings.HasSuffix(f.Path, terraformFileSuffix) {
				return nil
			}
		}
		return p.fault(line, "%s: file \"*\" matches no .tf file in %s/", where, p.dir)
	case strings.HasPrefix(file, "/") || strings.Contains(file, `\`) || strings.Contains("/"+file+"/", "/../"):
		return p.fault(line, "%s: file %q must be a path inside %s/", where, file, p.dir)
	case p.anyFile:
		return nil
	}
	want := path.Join(p.dir, path.Clean(file))
	for _, f := range p.files {
		if f.Path == want {
			return nil
		}
	}
	return p.fault(line, "%s: file %q is not in %s/", where, file, p.dir)
}

// codeBuild reads the settings of a CodeBuild template.
func (p *manifestParser) codeBuild(where string, n *yaml.Node) (*CodeBuildSettings, error) {
	sn, err := p.child(n, "settings", yaml.MappingNode)
	if err != nil {
		return nil, err
	}
	if sn == nil {
		return nil, p.fault(n.Line, "%s: rendering_engine codebuild needs settings with image, provision and deprovision", where)
	}
	all, err := newConverter().value(sn)
	if err != nil {
		return nil, p.fault(0, "%s.settings: %v", where, err)
	}
	c := &CodeBuildSettings{Settings: all.(map[string]any)}
	image, _, err := p.text(sn, "image")
	if err != nil {
		return nil, err
	}
	if image == "" {
		return nil, p.fault(sn.Line, "%s.settings: image is required (the CodeBuild image the commands run in)", where)
	}
	c.Image = image
	for _, name := range []string{"provision", "deprovision"} {
		ln, err := p.child(sn, name, yaml.SequenceNode)
		if err != nil {
			return nil, err
		}
		if ln == nil {
			return nil, p.fault(sn.Line, "%s.settings: %s is required (a list of shell commands)", where, name)
		}
		var cmds []string
		for _, cn := range ln.Content {
			cn = resolve(cn)
			if cn.Kind != yaml.ScalarNode {
				return nil, p.fault(cn.Line, "%s.settings.%s: each command must be a line of text", where, name)
			}
			cmds = append(cmds, cn.Value)
		}
		if name == "provision" {
			if len(cmds) == 0 {
				return nil, p.fault(ln.Line, "%s.settings.provision must list at least one command", where)
			}
			c.Provision = cmds
		} else {
			c.Deprovision = cmds
		}
	}
	rn, err := p.child(sn, "runtimes", yaml.MappingNode)
	if err != nil {
		return nil, err
	}
	if rn != nil {
		es, err := entries(rn)
		if err != nil {
			return nil, p.fault(0, "%s.settings.runtimes: %v", where, err)
		}
		c.Runtimes = map[string]string{}
		for _, e := range es {
			v := resolve(e.value)
			if v.Kind != yaml.ScalarNode {
				return nil, p.fault(v.Line, "%s.settings.runtimes.%s must be a version", where, e.key)
			}
			c.Runtimes[e.key] = v.Value
		}
	}
	return c, nil
}
