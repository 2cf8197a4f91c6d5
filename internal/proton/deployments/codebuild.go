package deployments

import (
	"fmt"
	"sort"

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
	vars, secrets := codeBuildEnv(c.Settings["env"])
	return &provision.Commands{Image: c.Image, Runtimes: c.Runtimes, Provision: c.Provision, Deprovision: c.Deprovision,
		InputType: it, Input: input, Variables: vars, Secrets: secrets}
}

// codeBuildEnv reads the env of a CodeBuild manifest's settings, as a
// buildspec's: the plain variables (env.variables) with their values as
// text, and the names of the variables of every other kind
// (parameter-store, secrets-manager, ...), sorted.
func codeBuildEnv(env any) (map[string]string, []string) {
	m, _ := env.(map[string]any)
	var vars map[string]string
	var secrets []string
	for kind, v := range m {
		names, _ := v.(map[string]any)
		for name, value := range names {
			if kind != "variables" {
				secrets = append(secrets, name)
				continue
			}
			if vars == nil {
				vars = map[string]string{}
			}
			if value != nil {
				vars[name] = fmt.Sprint(value)
			} else {
				vars[name] = ""
			}
		}
	}
	sort.Strings(secrets)
	return vars, secrets
}
