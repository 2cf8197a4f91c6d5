package bundle

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

func mustSchema(t *testing.T, text string, kind Kind) *Schema {
	t.Helper()
	s, err := ParseSchema(text, kind)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEnvironmentSpecDefaults(t *testing.T) {
	s := mustSchema(t, envSchema, KindEnvironment)
	spec := "proton: EnvironmentSpec\nspec:\n  replicas: 2\n  ratio: 0.5\n  subnets: [subnet-a]\n  tags:\n    owner: me\n"
	got, err := s.ValidateEnvironmentSpec(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"replicas": int64(2), "ratio": 0.5, "subnets": []any{"subnet-a"},
		"tags":     map[string]any{"owner": "me", "team": "platform"},
		"vpc_cidr": "10.0.0.0/16", "size": "small", "enabled": true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("inputs\n %#v\nwant\n %#v", got, want)
	}
	// Defaults are copies: changing one result never shows in the next.
	got["tags"].(map[string]any)["team"] = "changed"
	again, err := s.ValidateEnvironmentSpec(spec, nil)
	if err != nil || again["tags"].(map[string]any)["team"] != "platform" {
		t.Fatalf("second result %v %v", again, err)
	}
	// A null value takes the default too.
	got, err = s.ValidateEnvironmentSpec("proton: EnvironmentSpec\nspec:\n  replicas: 1\n  size:\n", nil)
	if err != nil || got["size"] != "small" {
		t.Fatalf("null with default: %v %v", got, err)
	}
}

func TestEnvironmentSpecProblems(t *testing.T) {
	s := mustSchema(t, envSchema, KindEnvironment)
	tests := []struct {
		name, spec string
		want       []string
	}{
		{"required", "proton: EnvironmentSpec\nspec: {}\n", []string{"spec.replicas: is required"}},
		{"no spec key", "proton: EnvironmentSpec\n", []string{"spec.replicas: is required"}},
		{"type string", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  vpc_cidr: 10\n", []string{"spec.vpc_cidr: must be a string"}},
		{"type integer", "proton: EnvironmentSpec\nspec:\n  replicas: '2'\n", []string{"spec.replicas: must be an integer"}},
		{"integer not whole", "proton: EnvironmentSpec\nspec:\n  replicas: 2.5\n", []string{"spec.replicas: must be an integer"}},
		{"type number", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  ratio: high\n", []string{"spec.ratio: must be a number"}},
		{"type boolean", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  enabled: 'yes'\n", []string{"spec.enabled: must be a boolean"}},
		{"type array", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  subnets: subnet-a\n", []string{"spec.subnets: must be an array"}},
		{"type object", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  tags: [a]\n", []string{"spec.tags: must be an object"}},
		{"null without default", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  ratio:\n", []string{"spec.ratio: has no value; it must be a number"}},
		{"enum", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  size: huge\n", []string{`spec.size: must be one of "small", "medium", "large"`}},
		{"minimum", "proton: EnvironmentSpec\nspec:\n  replicas: 0\n", []string{"spec.replicas: must be at least 1"}},
		{"maximum", "proton: EnvironmentSpec\nspec:\n  replicas: 11\n", []string{"spec.replicas: must be at most 10"}},
		{"minLength", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  name_prefix: ab\n", []string{"spec.name_prefix: must be at least 3 characters long"}},
		{"maxLength", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  name_prefix: abcdefghi\n", []string{"spec.name_prefix: must be at most 8 characters long"}},
		{"pattern", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  vpc_cidr: 10.0.0.0/8\n",
			[]string{`spec.vpc_cidr: must match pattern "^([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))$"`}},
		{"items", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  subnets: [subnet-a, vpc-b, 3]\n",
			[]string{"spec.subnets[1]: must match pattern \"^subnet-\"", "spec.subnets[2]: must be a string"}},
		{"minItems", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  subnets: []\n", []string{"spec.subnets: must have at least 1 items"}},
		{"maxItems and uniqueItems", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  subnets: [subnet-a, subnet-a, subnet-b, subnet-c]\n",
			[]string{"spec.subnets: must have at most 3 items", "spec.subnets: must not repeat an item"}},
		{"nested", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  tags: {team: 5, extra: x}\n",
			[]string{"spec.tags.extra: is not defined in the schema", "spec.tags.owner: is required", "spec.tags.team: must be a string"}},
		{"unknown input", "proton: EnvironmentSpec\nspec:\n  replicas: 1\n  vpc: x\n", []string{"spec.vpc: is not defined in the schema"}},
		{"spec not a mapping", "proton: EnvironmentSpec\nspec: [a]\n", []string{"spec: must be a mapping of input names to values"}},
		{"every problem at once", "proton: EnvironmentSpec\nspec:\n  replicas: 0\n  size: huge\n  bogus: 1\n",
			[]string{"spec.bogus: is not defined in the schema", "spec.replicas: must be at least 1", `spec.size: must be one of "small", "medium", "large"`}},
		{"current value without one", "proton: EnvironmentSpec\nspec:\n  replicas: \"${Proton::CURRENT_VAL}\"\n  size: huge\n",
			[]string{"spec.replicas: ${Proton::CURRENT_VAL} keeps a current value, but there is none", `spec.size: must be one of "small", "medium", "large"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ValidateEnvironmentSpec(tc.spec, nil)
			wantSpecProblems(t, err, tc.want...)
		})
	}
}

func TestEnvironmentSpecCurrentValue(t *testing.T) {
	s := mustSchema(t, envSchema, KindEnvironment)
	spec := "proton: EnvironmentSpec\nspec:\n  replicas: \"${Proton::CURRENT_VAL}\"\n  tags: \"${Proton::CURRENT_VAL}\"\n  size: medium\n"
	prev := map[string]any{"replicas": int64(4), "tags": map[string]any{"owner": "a"}, "size": "large"}
	got, err := s.ValidateEnvironmentSpec(spec, prev)
	if err != nil {
		t.Fatal(err)
	}
	if got["replicas"] != int64(4) || got["size"] != "medium" || got["tags"].(map[string]any)["team"] != "platform" {
		t.Fatalf("inputs %v", got)
	}
	if _, ok := prev["tags"].(map[string]any)["team"]; ok {
		t.Fatal("previous inputs were changed")
	}
	// The previous value is validated like any other.
	_, err = s.ValidateEnvironmentSpec(spec, map[string]any{"replicas": int64(40), "tags": map[string]any{"owner": "a"}})
	wantSpecProblems(t, err, "spec.replicas: must be at most 10")
}

func TestSpecDocumentProblems(t *testing.T) {
	env := mustSchema(t, envSchema, KindEnvironment)
	svc := mustSchema(t, svcSchema, KindService)
	tests := []struct {
		name, spec string
		service    bool
		want       string
	}{
		{"not YAML", "proton: [", false, "spec: not valid YAML: line 1"},
		{"not a mapping", "- a", false, "spec must be a YAML mapping starting with proton: EnvironmentSpec"},
		{"empty", "", false, "spec must be a YAML mapping starting with proton: EnvironmentSpec"},
		{"no proton", "spec: {}\n", false, "spec has no proton: key; it must start with proton: EnvironmentSpec"},
		{"wrong proton", "proton: ServiceSpec\nspec: {}\n", false, `spec: proton must be EnvironmentSpec, not "ServiceSpec"`},
		{"wrong proton for service", "proton: EnvironmentSpec\n", true, `spec: proton must be ServiceSpec, not "EnvironmentSpec"`},
		{"unknown key", "proton: EnvironmentSpec\nspecs: {}\n", false, `spec: unknown key "specs"; an EnvironmentSpec has proton and spec`},
		{"unknown service key", "proton: ServiceSpec\ninstance: []\n", true, `spec: unknown key "instance"; a ServiceSpec has proton, pipeline and instances`},
		{"two documents", "proton: EnvironmentSpec\n---\nproton: EnvironmentSpec\n", false, "spec: line 2: holds more than one YAML document"},
		{"duplicate key", "proton: EnvironmentSpec\nspec:\n  a: 1\n  a: 2\n", false, `spec: line 4: key "a" appears twice`},
		{"too long", "proton: EnvironmentSpec\n#" + strings.Repeat("é", MaxSpecChars), false, "spec is 51225 characters; at most 51200 are allowed"},
		{"infinite number", "proton: EnvironmentSpec\nspec:\n  ratio: .inf\n", false, "spec: line 3: numbers must be finite"},
		{"long wrong proton", "proton: " + strings.Repeat("k", 5000) + "\n", false, `spec: proton must be EnvironmentSpec, not "` + strings.Repeat("k", 256) + `..."`},
		{"custom tag", "proton: EnvironmentSpec\nspec:\n  ratio: !Ref x\n", false, "spec: line 3: unsupported YAML tag !Ref"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.service {
				_, err = svc.ValidateServiceSpec(tc.spec)
			} else {
				_, err = env.ValidateEnvironmentSpec(tc.spec, nil)
			}
			wantProblem(t, err, tc.want)
		})
	}
	_, err := env.ValidateServiceSpec("proton: ServiceSpec\n")
	wantProblem(t, err, "the template's schema has no service_input_type")
	_, err = svc.ValidateEnvironmentSpec("proton: EnvironmentSpec\n", nil)
	wantProblem(t, err, "the template's schema has no environment_input_type")
}

func TestServiceSpec(t *testing.T) {
	s := mustSchema(t, svcSchema, KindService)
	spec := `proton: ServiceSpec
pipeline:
  branch: main
instances:
  - name: "front-1"
    environment: "beta"
    spec:
      image: nginx
  - name: front_2
    environment: prod
    spec:
      image: nginx
      port: 8080
`
	got, err := s.ValidateServiceSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	want := &ServiceSpec{
		Pipeline: map[string]any{"branch": "main", "unit_test_command": "echo 'add your unit test command here'"},
		Instances: []InstanceSpec{
			{Name: "front-1", Environment: "beta", Inputs: map[string]any{"image": "nginx", "port": int64(80)}},
			{Name: "front_2", Environment: "prod", Inputs: map[string]any{"image": "nginx", "port": int64(8080)}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}

	noPipe := mustSchema(t, bundletest.ServiceSchemaNoPipeline, KindService)
	got, err = noPipe.ValidateServiceSpec("proton: ServiceSpec\ninstances:\n  - name: a\n    environment: e\n")
	if err != nil || got.Pipeline != nil || got.Instances[0].Inputs["port"] != int64(80) {
		t.Fatalf("no pipeline: %#v %v", got, err)
	}
}

func TestServiceSpecProblems(t *testing.T) {
	s := mustSchema(t, svcSchema, KindService)
	noPipe := mustSchema(t, bundletest.ServiceSchemaNoPipeline, KindService)
	tests := []struct {
		name   string
		schema *Schema
		spec   string
		want   []string
	}{
		{"pipeline without one", noPipe, "proton: ServiceSpec\npipeline: {a: 1}\ninstances: [{name: a, environment: e}]\n",
			[]string{"pipeline: the service template has no pipeline"}},
		{"pipeline inputs", s, "proton: ServiceSpec\npipeline:\n  branch: 1\n  x: 2\ninstances: [{name: a, environment: e, spec: {image: i}}]\n",
			[]string{"pipeline.branch: must be a string"}}, // x, undeclared, is accepted (lambda-multi-svc)
		{"pipeline missing", s, "proton: ServiceSpec\ninstances: [{name: a, environment: e, spec: {image: i}}]\n",
			[]string{"pipeline.branch: is required"}},
		{"no instances", noPipe, "proton: ServiceSpec\n", []string{"instances: at least one instance is required"}},
		{"empty instances", noPipe, "proton: ServiceSpec\ninstances: []\n", []string{"instances: at least one instance is required"}},
		{"instances not a list", noPipe, "proton: ServiceSpec\ninstances: {a: 1}\n", []string{"instances: must be a list of instances"}},
		{"instance not a mapping", noPipe, "proton: ServiceSpec\ninstances: [a]\n", []string{"instances[0]: must be a mapping with name, environment and spec"}},
		{"instance fields", noPipe, "proton: ServiceSpec\ninstances:\n  - name: -bad\n    env: e\n    spec: [x]\n",
			[]string{
				"instances[0]: unknown key \"env\"; an instance has name, environment and spec",
				"instances[0].name: must be 1 to 100 letters, digits, - and _, starting with a letter or digit",
				"instances[0].environment: is required",
				"instances[0].spec: must be a mapping of input names to values",
			}},
		{"name not text", noPipe, "proton: ServiceSpec\ninstances: [{name: [a], environment: e}]\n", []string{"instances[0].name: must be a name"}},
		{"duplicate names", noPipe, "proton: ServiceSpec\ninstances: [{name: a, environment: e}, {name: b, environment: e}, {name: a, environment: f}]\n",
			[]string{`instances[2].name: instance name "a" is already used by instances[0]`}},
		{"instance inputs", s, "proton: ServiceSpec\npipeline: {branch: main}\ninstances:\n  - name: a\n    environment: e\n    spec: {image: i}\n  - name: b\n    environment: e\n    spec:\n      port: 70000\n      image: ''\n",
			[]string{"instances[1].spec.image: must be at least 1 characters long", "instances[1].spec.port: must be at most 65535"}},
		{"current value", noPipe, "proton: ServiceSpec\ninstances: [{name: a, environment: e, spec: {port: \"${Proton::CURRENT_VAL}\"}}]\n",
			[]string{"instances[0].spec.port: ${Proton::CURRENT_VAL} keeps a current value, but there is none"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.schema.ValidateServiceSpec(tc.spec)
			wantSpecProblems(t, err, tc.want...)
		})
	}
}
