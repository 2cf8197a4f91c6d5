package render

import (
	"strings"
	"testing"
)

// componentOutputs are the outputs of the custom component of AWS's
// parameter filters page.
var componentOutputs = Outputs{"Output1": "hello", "Output2": "world",
	"PolicyArn1": "arn:aws:iam::123456789012:policy/cfn-generated-policy-name-1",
	"PolicyArn2": "arn:aws:iam::123456789012:policy/cfn-generated-policy-name-2"}

// instance is the data of a service instance template whose instance has
// an attached component with outputs, or none when outputs is nil.
func instance(outputs Outputs) map[string]any {
	component := NoComponent()
	if outputs != nil {
		component = map[string]any{"name": "bucket", "outputs": outputs}
	}
	envOutputs := Outputs{"VpcId": "vpc-1", "SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:topic"}
	return map[string]any{
		"environment": map[string]any{"name": "dev", "outputs": envOutputs},
		"service":     map[string]any{"name": "web"},
		"service_instance": map[string]any{"name": "front", "inputs": map[string]any{"port": int64(80)},
			"environment": map[string]any{"name": "dev", "outputs": envOutputs},
			"components":  map[string]any{"default": component}},
	}
}

// TestProtonFilters renders the examples of AWS's page on parameter filters
// (docs.aws.amazon.com/proton/latest/userguide/parameter-filters.html):
// each renders what the page shows, at the indentation of the place the
// filter is used, or fails with the page's message.
func TestProtonFilters(t *testing.T) {
	only := func(keys ...string) Outputs {
		out := Outputs{}
		for _, k := range keys {
			out[k] = componentOutputs[k]
		}
		return out
	}
	for _, c := range []struct {
		name    string
		outputs Outputs // the component's; nil for none
		src     string
		want    string
	}{
		{"ecs task definition", only("Output1", "Output2"), `      ContainerDefinitions:
        - Name: MyServiceName
          Environment:
            {{ service_instance.components.default.outputs
              | proton_cfn_ecs_task_definition_formatted_env_vars }}
`, `      ContainerDefinitions:
        - Name: MyServiceName
          Environment:
            - Name: Output1
              Value: hello
            - Name: Output2
              Value: world
`},
		// As AWS's load-balanced-fargate-svc sample uses it: more items of
		// a list that the template starts.
		{"ecs task definition continuing a list", only("Output1"), `          Environment:
            - Name: SNS_TOPIC_ARN
              Value: '{{ environment.outputs.SNSTopicArn }}'
            {% if service_instance.components.default.outputs | length > 0 %}
            {{ service_instance.components.default.outputs |
                proton_cfn_ecs_task_definition_formatted_env_vars }}
            {% endif %}
`, `          Environment:
            - Name: SNS_TOPIC_ARN
              Value: 'arn:aws:sns:us-east-1:123456789012:topic'
            
            - Name: Output1
              Value: hello
            
`},
		{"ecs task definition without a component", nil, `          Environment:
            - Name: A
              Value: b
            {% if service_instance.components.default.outputs | length > 0 %}
            {{ service_instance.components.default.outputs | proton_cfn_ecs_task_definition_formatted_env_vars }}
            {% endif %}
`, "          Environment:\n            - Name: A\n              Value: b\n            \n"},
		{"ecs task definition, validated", only("Output1", "Output2"),
			"Environment:\n  {{ service_instance.components.default.outputs | proton_cfn_ecs_task_definition_formatted_env_vars(raw=False) }}\n",
			"Environment:\n  - Name: Output1\n    Value: hello\n  - Name: Output2\n    Value: world\n"},
		{"ecs task definition, quoted as YAML needs", Outputs{"Port": "8080", "Flag": "yes", "Multi": "a: b", "Two": "line1\nline2"},
			"  Environment:\n    {{ service_instance.components.default.outputs | proton_cfn_ecs_task_definition_formatted_env_vars }}\n",
			"  Environment:\n    - Name: Flag\n      Value: \"yes\"\n    - Name: Multi\n      Value: 'a: b'\n    - Name: Port\n      Value: \"8080\"\n    - Name: Two\n      Value: |-\n        line1\n        line2\n"},
		{"lambda function", only("Output1", "Output2"), `  Lambda:
    Type: AWS::Lambda::Function
    Properties:
      Environment:
        Variables:
          {{ service_instance.components.default.outputs
            | proton_cfn_lambda_function_formatted_env_vars }}
`, `  Lambda:
    Type: AWS::Lambda::Function
    Properties:
      Environment:
        Variables:
          Output1: hello
          Output2: world
`},
		{"lambda function, validated", only("Output1"),
			"Variables:\n  {{ service_instance.components.default.outputs | proton_cfn_lambda_function_formatted_env_vars(raw=False) }}\n",
			"Variables:\n  Output1: hello\n"},
		{"iam policy arns", componentOutputs, `      ManagedPolicyArns:
        - !Ref BaseTaskRoleManagedPolicy
        {{ service_instance.components.default.outputs
            | proton_cfn_iam_policy_arns }}
`, `      ManagedPolicyArns:
        - !Ref BaseTaskRoleManagedPolicy
        - arn:aws:iam::123456789012:policy/cfn-generated-policy-name-1
        - arn:aws:iam::123456789012:policy/cfn-generated-policy-name-2
`},
		// As AWS's load-balanced-fargate-svc sample uses it, with no
		// component attached: nothing is added to the list.
		{"iam policy arns without a component", nil, `      ManagedPolicyArns:
        - !Ref BaseTaskRoleManagedPolicy
        {{ service_instance.components.default.outputs
            | proton_cfn_iam_policy_arns }}
`, `      ManagedPolicyArns:
        - !Ref BaseTaskRoleManagedPolicy
        
`},
		{"sanitize", Outputs{"Output1": "This-is_valid_37"}, "  {{ service_instance.components.default.outputs.Output1 | proton_cfn_sanitize }}",
			"  This-is_valid_37"},
		{"sanitize an ARN", Outputs{"SomeArn": "arn:aws:some-service::123456789012:some-resource/resource-name"},
			"  {{ service_instance.components.default.outputs.SomeArn | proton_cfn_sanitize }}",
			"  arn:aws:some-service::123456789012:some-resource/resource-name"},
		{"default", nil, `  {{ service_instance.components.default.outputs.test | default("[optional-value]") }}`, "  [optional-value]"},
		{"default of a component's output", only("Output1"), `{{ service_instance.components.default.outputs.test | default("x") }} {{ service_instance.components.default.outputs.Output1 | default("x") }}`, "x hello"},
		{"default of an environment output", nil, `{{ environment.outputs.Missing | default("none") }} {{ environment.outputs.VpcId | default("none") }}`, "none vpc-1"},
		{"default before a filter", nil, `{{ environment.outputs.Missing | default("none") | proton_cfn_sanitize }}`, "none"},
		{"is defined", nil, `{% if environment.outputs.Missing is defined %}yes{% else %}no{% endif %} {% if environment.outputs.VpcId is defined %}yes{% endif %}`, "no yes"},
		{"a missing component renders {}", nil, `{{ service_instance.components.default }} {{ service_instance.components.default.outputs }} {{ service_instance.components.default.outputs | length }}`, "{} {} 0"},
		{"outputs as a whole", only("Output1"), `{{ service_instance.components.default.outputs }} {{ service_instance.components.default.outputs | tojson }}{% for k, v in service_instance.components.default.outputs.items() %} {{ k }}={{ v }}{% endfor %}`,
			`{'Output1': 'hello'} {"Output1":"hello"} Output1=hello`},
		{"outputs by item", nil, `{{ environment.outputs["VpcId"] }} {{ service_instance.environment.outputs.VpcId }}`, "vpc-1 vpc-1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := jinja("instance_infrastructure/cloudformation.yaml", c.src, instance(c.outputs))
			if err != nil {
				t.Fatal(err)
			}
			// Jinja drops the final line break of a template.
			if got != strings.TrimSuffix(c.want, "\n") {
				t.Fatalf("got:\n%s\nwant:\n%s\n%q\n%q", got, c.want, got, c.want)
			}
		})
	}
}

// TestProtonFilterFailures: a filter that validates, given a value it
// refuses, and a reference to an output that is not there, fail the
// rendering with a message that names them.
func TestProtonFilterFailures(t *testing.T) {
	const file = "instance_infrastructure/cloudformation.yaml"
	for _, c := range []struct {
		name    string
		outputs Outputs
		src     string
		want    string
	}{
		{"sanitize", Outputs{"Output2": "this::is::incorrect"}, "a:\n  {{ service_instance.components.default.outputs.Output2\n    | proton_cfn_sanitize }}",
			`rendering ` + file + ` failed at line 2: Illegal character(s) detected in "this::is::incorrect". Must match regex ^[a-zA-Z0-9_-]*$ or be a valid ARN`},
		{"ecs task definition, validated", Outputs{"A": "ok", "B": "not ok"}, "{{ service_instance.components.default.outputs | proton_cfn_ecs_task_definition_formatted_env_vars(raw=False) }}",
			`rendering ` + file + ` failed at line 1: Illegal character(s) detected in "not ok" (output B). Must match regex ^[a-zA-Z0-9_-]*$`},
		{"lambda function, validated", Outputs{"B": "a/b"}, "{{ service_instance.components.default.outputs | proton_cfn_lambda_function_formatted_env_vars(raw=False) }}",
			`rendering ` + file + ` failed at line 1: Illegal character(s) detected in "a/b" (output B). Must match regex ^[a-zA-Z0-9_-]*$`},
		{"a filter given something other than outputs", nil, "{{ service_instance.name | proton_cfn_iam_policy_arns }}",
			`rendering ` + file + ` failed at line 1: proton_cfn_iam_policy_arns formats outputs (a mapping of names to values); it was given a string`},
		{"an environment output that is not there", nil, "Outputs:\n  Vpc:\n    Value: '{{ environment.outputs.VpcID }}'\n",
			`rendering ` + file + ` failed at line 3: environment.outputs has no output named VpcID (a reference that may be missing takes a default: environment.outputs.VpcID | default("..."))`},
		{"an output of the instance's environment", nil, "{{ service_instance.environment.outputs['Cluster'] }}",
			`rendering ` + file + ` failed at line 1: service_instance.environment.outputs has no output named Cluster (a reference that may be missing takes a default: service_instance.environment.outputs['Cluster'] | default("..."))`},
		{"a component output that is not there", Outputs{"Output1": "hello"}, "\n{{ service_instance.components.default.outputs.test }}",
			`rendering ` + file + ` failed at line 2: service_instance.components.default.outputs has no output named test (a reference that may be missing takes a default: service_instance.components.default.outputs.test | default("..."))`},
		{"an output of a component that is not attached", nil, "{{ service_instance.components.default.outputs.test }}",
			`rendering ` + file + ` failed at line 1: no component is attached to the service instance, so service_instance.components.default.outputs has no output named test (a reference that may be missing takes a default: service_instance.components.default.outputs.test | default("..."))`},
		{"the name of a component that is not attached", nil, "{{ service_instance.components.default.name }}",
			`rendering ` + file + ` failed at line 1: no component is attached to the service instance, so service_instance.components.default has no name (a reference that may be missing takes a default: service_instance.components.default.name | default("..."))`},
		{"a missing output inside a filter", nil, "{{ environment.outputs.Nope | proton_cfn_sanitize }}",
			`rendering ` + file + ` failed at line 1: environment.outputs has no output named Nope (a reference that may be missing takes a default: environment.outputs.Nope | default("..."))`},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := jinja(file, c.src, instance(c.outputs))
			if err == nil || err.Error() != c.want {
				t.Fatalf("rendered %q, err = %v\nwant %s", out, err, c.want)
			}
		})
	}
}

// TestSampleBuiltins renders the Jinja built-ins that AWS's sample
// templates use, as Jinja renders them.
func TestSampleBuiltins(t *testing.T) {
	data := map[string]any{
		"service":           map[string]any{"name": "a-service-with-a-long-name"},
		"service_instance":  map[string]any{"name": "front-end", "inputs": map[string]any{"code_uri": "s3://b/k"}},
		"service_instances": []any{map[string]any{"name": "front-end", "outputs": Outputs{"LambdaRuntime": "python3.9"}}},
	}
	for src, want := range map[string]string{
		`{{(service.name~"--"~service_instance.name)|truncate(29, true, 'zzz', 0)}}`:                                                            "a-service-with-a-long-namezzz",
		`{{ {"python3.9": {"python": "3.9"}, "java11": {"java": "openjdk11.x"}}[service_instances[0].outputs.LambdaRuntime] | tojson | safe }}`: `{"python":"3.9"}`,
		`{% if service_instance.inputs.code_uri is defined %}{{ service_instance.inputs.code_uri }}{% endif %}`:                                 "s3://b/k",
		`{% if service_instance.inputs.image is defined %}image{% else %}no image{% endif %}`:                                                   "no image",
		`{%- for service_instance in service_instances %}{{ service_instance.name }}{% endfor %}`:                                               "front-end",
	} {
		got, err := jinja("pipeline_infrastructure/cloudformation.yaml", src, data)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", src, got, err, want)
		}
	}
}

// TestOutputsCrossTheProcessBoundary: outputs, a component that is not
// attached and the inputs around them reach the rendering process as they
// are, wherever they stand in the data, and stay strict there.
func TestOutputsCrossTheProcessBoundary(t *testing.T) {
	data := instance(nil)
	data["service_instances"] = []any{map[string]any{"name": "a", "outputs": Outputs{"X": "1"}}, map[string]any{"name": "b", "outputs": Outputs{}}}
	// Inputs that look like what the marks of the protocol are made of.
	data["service_instance"].(map[string]any)["inputs"] = map[string]any{"outputs": map[string]any{"a": "b"}, "0": []any{"x"}}
	src := "{{ service_instances[0].outputs.X }} {{ service_instances[1].outputs | length }} {{ service_instance.components.default }} " +
		"{{ service_instance.inputs.outputs.nope }}|{{ service_instance.inputs['0'][0] }} {{ environment.outputs.VpcId }}"
	r := NewIsolated(Limits{})
	res, err := r.Render(t.Context(), Job{Files: []File{{Name: "a.yaml", Source: src},
		{Name: "b.yaml", Source: "{{ service_instances[1].outputs.Y }}"}}, Data: data})
	if err == nil || !strings.Contains(err.Error(), "rendering b.yaml failed at line 1: service_instances[1].outputs has no output named Y") {
		t.Fatalf("err = %v (outputs %q)", err, res.Outputs)
	}
	res, err = r.Render(t.Context(), Job{Files: []File{{Name: "a.yaml", Source: src}}, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if want := "1 0 {} |x vpc-1"; res.Outputs[0] != want {
		t.Fatalf("rendered %q, want %q", res.Outputs[0], want)
	}
}
