package deployments

import (
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/provision"
)

// Commands returns what an engine needs to run the CodeBuild template of
// manifest m (nil when m is none), with input as the document of its input
// file.
func Commands(m *bundle.Manifest, input map[string]any) *provision.Commands {
	if m == nil || m.CodeBuild == nil {
		return nil
	}
	c := m.CodeBuild
	it := m.InputType
	if it == "" {
		it = bundle.InputTypeJSON
	}
	return &provision.Commands{Image: c.Image, Runtimes: c.Runtimes, Provision: c.Provision, Deprovision: c.Deprovision,
		InputType: it, Input: input}
}
