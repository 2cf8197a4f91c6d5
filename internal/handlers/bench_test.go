package handlers

import (
	"strconv"
	"testing"

	"github.com/openproton/openproton/internal/api"
	"github.com/openproton/openproton/internal/store"
)

// pageOf repeats the rows of a fixture up to a full page of 100, each
// under its own name.
func pageOf[R any](rows []R, rename func(*R, string)) []R {
	out := make([]R, 100)
	for i := range out {
		out[i] = rows[i%len(rows)]
		rename(&out[i], "r"+strconv.Itoa(i))
	}
	return out
}

// The list benchmarks map a page of 100 store rows to the list answer, and
// with /encode also write it as JSON, as the protocol layer does: what a list
// request costs above the store.

func BenchmarkListEnvironmentsPage(b *testing.B) {
	rows := pageOf(environmentRows(), func(e *store.Environment, n string) { e.Name = n })
	benchPage(b, func() *api.ListEnvironmentsOutput {
		return &api.ListEnvironmentsOutput{Environments: summaries(rows, environmentOf, (*api.Environment).Summary)}
	})
}

func BenchmarkListDeploymentsPage(b *testing.B) {
	rows := pageOf(deploymentRows(), func(d *store.Deployment, n string) { d.ID = n })
	benchPage(b, func() *api.ListDeploymentsOutput {
		return &api.ListDeploymentsOutput{Deployments: summaries(rows, deploymentOf, (*api.Deployment).Summary)}
	})
}

func BenchmarkListConnectionsPage(b *testing.B) {
	rows := pageOf(connectionRows(), func(c *store.Connection, n string) { c.ID = n })
	benchPage(b, func() *api.ListEnvironmentAccountConnectionsOutput {
		return &api.ListEnvironmentAccountConnectionsOutput{EnvironmentAccountConnections: summaries(rows, connectionOf, (*api.EnvironmentAccountConnection).Summary)}
	})
}

func BenchmarkListServiceTemplatesPage(b *testing.B) {
	rows := pageOf(templateRows(svcKind), func(t *store.Template, n string) { t.Name = n })
	benchPage(b, func() *api.ListServiceTemplatesOutput {
		return &api.ListServiceTemplatesOutput{Templates: summaries(rows, svcTemplateOf, (*api.ServiceTemplate).Summary)}
	})
}

func BenchmarkListServiceTemplateVersionsPage(b *testing.B) {
	rows := pageOf(versionRows(svcKind), func(v *store.TemplateVersion, n string) { v.Name = n })
	benchPage(b, func() *api.ListServiceTemplateVersionsOutput {
		return &api.ListServiceTemplateVersionsOutput{TemplateVersions: summaries(rows, svcVersionOf, (*api.ServiceTemplateVersion).Summary)}
	})
}

func benchPage[O interface{ AppendJSON([]byte) []byte }](b *testing.B, page func() O) {
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			page()
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 64<<10)
		for i := 0; i < b.N; i++ {
			buf = page().AppendJSON(buf[:0])
		}
	})
}
