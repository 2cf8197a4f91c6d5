package codebuild

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/openproton/openproton/internal/provision"
)

// The names the input file is written under: AWS's samples read
// proton-inputs.json, AWS's documentation names proton-input.json.
const (
	InputFile     = "proton-inputs.json"
	InputFileDocs = "proton-input.json"
)

// writeWorkDir writes files (paths relative to the template's
// infrastructure folder) into dir, and the input file, holding input, next
// to them; an input file of the bundle's own is replaced, as Proton did.
func writeWorkDir(dir string, files []provision.File, input map[string]any) error {
	for _, f := range files {
		if !filepath.IsLocal(f.Path) {
			return fmt.Errorf("template file %q is not a path inside the infrastructure folder", f.Path)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write the template's files: %w", err)
		}
		if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
			return fmt.Errorf("write the template's files: %w", err)
		}
	}
	if input == nil {
		input = map[string]any{}
	}
	doc, err := json.MarshalIndent(input, "", "  ")
	if err != nil {
		return fmt.Errorf("write the input file: %w", err)
	}
	for _, name := range []string{InputFile, InputFileDocs} {
		if err := os.WriteFile(filepath.Join(dir, name), append(doc, '\n'), 0o644); err != nil {
			return fmt.Errorf("write the input file: %w", err)
		}
	}
	return nil
}
