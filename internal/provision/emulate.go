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
// sections whose Value is a plain string (as {{ environment.inputs.x }}
// renders); values that need CloudFormation to resolve them (!Ref,
// !GetAtt, Fn::...) cannot be known without provisioning and are left out.
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
		o, err := CloudFormationOutputs(f.Content)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", f.Path, err)
		}
		outs = append(outs, o...)
	}
	return Result{Message: "Emulated: no infrastructure was provisioned.", Outputs: outs}, nil
}

// CloudFormationOutputs returns the outputs of a CloudFormation template
// (YAML or JSON) whose Value is a plain string, ordered by key. A template
// that is not a YAML mapping is an error.
func CloudFormationOutputs(template string) ([]Output, error) {
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
	outputs := mapValue(root, "Outputs")
	if outputs == nil || outputs.Kind != yaml.MappingNode {
		return nil, nil
	}
	var out []Output
	for i := 0; i+1 < len(outputs.Content); i += 2 {
		key, def := outputs.Content[i].Value, outputs.Content[i+1]
		if def.Kind != yaml.MappingNode {
			continue
		}
		v := mapValue(def, "Value")
		// A plain scalar without a tag: !Ref and friends carry one.
		if v == nil || v.Kind != yaml.ScalarNode || (v.Tag != "!!str" && v.Tag != "!!int" && v.Tag != "!!float" && v.Tag != "!!bool") {
			continue
		}
		// An output holding U+0000 can come only from an escape; no store
		// keeps it alike (PostgreSQL refuses it in text) and the API refuses
		// it in outputs, so the deployment fails, naming it.
		if strings.IndexByte(key, 0) >= 0 {
			return nil, fmt.Errorf("output %q: its name holds the character U+0000 (NUL), which an output cannot hold", key)
		}
		if strings.IndexByte(v.Value, 0) >= 0 {
			return nil, fmt.Errorf("output %q: its value holds the character U+0000 (NUL), which an output cannot hold", key)
		}
		if v.Value == "" || len(v.Value) > 1024 || key == "" || len(key) > 1024 {
			continue
		}
		out = append(out, Output{Key: key, Value: v.Value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
