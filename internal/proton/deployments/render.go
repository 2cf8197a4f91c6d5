package deployments

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/provision"
	"github.com/openproton/openproton/internal/render"
)

// RenderFiles returns the files of the folder of manifest m in bundle b
// that an engine runs, by their path in the folder: the Jinja templates
// rendered with data (the parameter namespaces of the target: for an
// environment {"environment": {"name": ..., "inputs": {...}}}), all in one
// rendering job, other files as they are. A rendered template must be
// YAML (bundle.RenderedYAML): registration took it as it was, since a Jinja
// template is YAML only once rendered, so an error here fails the
// deployment, naming the file and the line.
func RenderFiles(ctx context.Context, renderer render.Renderer, b *bundle.Bundle, m *bundle.Manifest, data map[string]any) ([]provision.File, error) {
	if m == nil {
		return nil, nil
	}
	var out []provision.File
	var job render.Job
	var rendered []int // the files of out that the job renders
	for _, t := range m.Templates {
		for _, f := range b.Files {
			rel, ok := strings.CutPrefix(f.Path, m.Dir+"/")
			if !ok || rel == "manifest.yaml" || !matches(t, rel) {
				continue
			}
			if t.RenderingEngine == bundle.EngineJinja {
				rendered = append(rendered, len(out))
				job.Files = append(job.Files, render.File{Name: f.Path, Source: string(f.Data)})
			}
			out = append(out, provision.File{Path: rel, Content: string(f.Data), RenderingEngine: t.RenderingEngine, Language: t.TemplateLanguage})
		}
	}
	if len(job.Files) > 0 {
		job.Data = data
		res, err := renderer.Render(ctx, job)
		if err != nil {
			return nil, err
		}
		for i, at := range rendered {
			if err := bundle.RenderedYAML(job.Files[i].Name, res.Outputs[i]); err != nil {
				return nil, err
			}
			out[at].Content = res.Outputs[i]
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// matches reports whether a file of a manifest's folder belongs to one of
// its entries: the file it names, every .tf file directly in the folder
// for "*", and every file for CodeBuild (whose entry names none).
func matches(t bundle.ManifestTemplate, rel string) bool {
	switch t.File {
	case "":
		return true
	case "*":
		return path.Ext(rel) == ".tf" && !strings.Contains(rel, "/")
	}
	return rel == t.File
}
