package provision

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Emulate is the engine of --provisioner emulate. It provisions nothing and
// calls no cloud API: after Delay it reports success. For a deploy, the
// outputs are the entries of the rendered CloudFormation files' Outputs
// sections (CloudFormationOutputs): a plain value as it is (as
// {{ environment.inputs.x }} renders), and for a value that only
// provisioning could give (!Ref, !GetAtt, Fn::...) a placeholder that names
// it, so that templates that read the outputs (a service's
// environment.outputs.ClusterName) render against an emulated environment.
// It reports no provisioned resources.
type Emulate struct {
	Delay time.Duration
}

// Name implements Engine.
func (e Emulate) Name() string { return "emulate" }

// Run implements Engine.
func (e Emulate) Run(ctx context.Context, req Request) (Result, error) {
	t := time.NewTimer(e.Delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return Result{}, fmt.Errorf("deployment stopped: %w", context.Cause(ctx))
	case <-t.C:
	}
	if req.Action == Destroy {
		return Result{Message: "Emulated: nothing was provisioned, so nothing was removed."}, nil
	}
	var outs []Output
	for _, f := range req.Files {
		if f.Language != "cloudformation" {
			continue
		}
		o, err := CloudFormationOutputs(f.Content, Stack{Account: req.Credentials.Account, Region: req.Target.Region})
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", f.Path, err)
		}
		outs = append(outs, o...)
	}
	return Result{Message: "Emulated: no infrastructure was provisioned.", Outputs: outs}, nil
}

// CloudFormationOutputs returns the outputs of a CloudFormation template
// (YAML or JSON), ordered by key, with the values that a stack in st would
// give them: a plain value as it is, an intrinsic function resolved as far
// as the template and st allow, and what only provisioning could give as a
// placeholder that names it ("emulated:VPC.Ref" for !Ref VPC; see
// resolver), except that !Ref of an IAM managed policy is an ARN of st's
// account, as CloudFormation's is. An output whose value is a list or a mapping is left out. A
// template that is not a YAML mapping is an error.
func CloudFormationOutputs(template string, st Stack) ([]Output, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(template), &doc); err != nil {
		return nil, fmt.Errorf("the rendered template is not valid YAML or JSON: %v", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the rendered template is not a mapping")
	}
	outputs := deref(mapValue(root, "Outputs"))
	if outputs == nil || outputs.Kind != yaml.MappingNode {
		return nil, nil
	}
	r := &resolver{stack: st, parameters: deref(mapValue(root, "Parameters")), mappings: deref(mapValue(root, "Mappings")),
		resources: deref(mapValue(root, "Resources"))}
	var out []Output
	for i := 0; i+1 < len(outputs.Content); i += 2 {
		key, def := outputs.Content[i].Value, deref(outputs.Content[i+1])
		if def == nil || def.Kind != yaml.MappingNode {
			continue
		}
		value, ok := r.output(mapValue(def, "Value"))
		if !ok {
			continue
		}
		// An output holding U+0000 can come only from an escape; no store
		// keeps it alike (PostgreSQL refuses it in text) and the API refuses
		// it in outputs, so the deployment fails, naming it.
		if strings.IndexByte(key, 0) >= 0 {
			return nil, fmt.Errorf("output %q: its name holds the character U+0000 (NUL), which an output cannot hold", key)
		}
		if strings.IndexByte(value, 0) >= 0 {
			return nil, fmt.Errorf("output %q: its value holds the character U+0000 (NUL), which an output cannot hold", key)
		}
		if value == "" || key == "" || len(key) > 1024 {
			continue
		}
		out = append(out, Output{Key: key, Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// mapValue is the value of key in mapping m, nil when m is no mapping or
// has no such key.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
