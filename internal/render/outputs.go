package render

import (
	"fmt"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Outputs are outputs of another resource that a template reads by name:
// environment.outputs, service_instance.environment.outputs, the outputs of
// each of service_instances, an attached component's outputs. Unlike other
// values, they are strict, as Proton's are: reading an output that is not
// there fails the rendering with a message that names it, and the default
// filter is a template's way to render without it
// ({{ environment.outputs.X | default("...") }}). A family puts them in a
// Job's Data where the namespace holds them; they keep their strictness in
// the rendering process.
type Outputs map[string]string

// GetAttribute makes outputs.Name strict (gonja asks for it first).
func (o Outputs) GetAttribute(name string) (*exec.Value, bool) { return o.get(name) }

// GetItem makes outputs["Name"] strict.
func (o Outputs) GetItem(key any) (*exec.Value, bool) {
	name, ok := key.(string)
	if !ok {
		return exec.AsValue(fmt.Errorf("outputs are read by name, not by %v", key)), false
	}
	return o.get(name)
}

func (o Outputs) get(name string) (*exec.Value, bool) {
	if v, ok := o[name]; ok {
		return exec.AsValue(v), true
	}
	return exec.AsValue(&missingOutput{name: name}), false
}

// NoComponent is service_instance.components.default of a service instance
// without an attached component. As in Proton, it and its outputs render
// {} (so `| length > 0` tells whether a component is there), and reading
// anything from them fails the rendering, saying that no component is
// attached, unless the default filter gives a value.
func NoComponent() any { return noComponent{} }

// noComponent is what NoComponent returns: an empty mapping whose only
// member is its empty outputs.
type noComponent map[string]string

func (noComponent) GetAttribute(name string) (*exec.Value, bool) {
	if name == "outputs" {
		return exec.AsValue(noComponentOutputs{}), true
	}
	return exec.AsValue(&missingOutput{name: name, member: true, noComponent: true}), false
}

func (c noComponent) GetItem(key any) (*exec.Value, bool) {
	if name, ok := key.(string); ok {
		return c.GetAttribute(name)
	}
	return exec.AsValue(fmt.Errorf("a component is read by name, not by %v", key)), false
}

// noComponentOutputs are the outputs of a component that is not attached.
type noComponentOutputs map[string]string

func (noComponentOutputs) GetAttribute(name string) (*exec.Value, bool) {
	return exec.AsValue(&missingOutput{name: name, noComponent: true}), false
}

func (o noComponentOutputs) GetItem(key any) (*exec.Value, bool) {
	if name, ok := key.(string); ok {
		return o.GetAttribute(name)
	}
	return exec.AsValue(fmt.Errorf("outputs are read by name, not by %v", key)), false
}

// missingOutput is the error of reading an output (or, with member, a
// member of a component) that is not there. explainRun says it in full,
// with the expression that read it, from its text (missingRe): gonja
// passes the errors of filters on as text only.
type missingOutput struct {
	name        string
	member      bool // a member of the component itself, such as its name
	noComponent bool // no component is attached
}

func (m *missingOutput) Error() string {
	switch {
	case m.member:
		return "no component is attached, so there is no " + m.name
	case m.noComponent:
		return "there is no output named " + m.name + ": no component is attached"
	}
	return "there is no output named " + m.name
}
