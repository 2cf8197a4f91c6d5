// Command codegen writes package api from the pinned service model, or, with
// -pin, pins a botocore service model into the repository with its
// documentation stripped.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/openproton/openproton/internal/codegen"
)

func main() {
	modelPath := flag.String("model", "model/proton-2020-07-20.json", "pinned service model")
	out := flag.String("out", "internal/api", "directory to write the generated files to")
	pin := flag.String("pin", "", "botocore service-2.json(.gz) to strip and pin at -model, instead of generating")
	flag.Parse()
	if err := run(*modelPath, *out, *pin); err != nil {
		fmt.Fprintln(os.Stderr, "codegen:", err)
		os.Exit(1)
	}
}

func run(modelPath, out, pin string) error {
	if pin != "" {
		raw, err := readMaybeGzip(pin)
		if err != nil {
			return err
		}
		stripped, err := codegen.StripDocumentation(raw)
		if err != nil {
			return err
		}
		return os.WriteFile(modelPath, stripped, 0o644)
	}
	raw, err := os.ReadFile(modelPath)
	if err != nil {
		return err
	}
	m, err := codegen.ParseModel(raw)
	if err != nil {
		return err
	}
	files, err := codegen.Generate(m)
	if err != nil {
		return err
	}
	for _, p := range codegen.SummaryProblems(m) {
		fmt.Fprintln(os.Stderr, "codegen: no Summary projection:", p)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(out, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func readMaybeGzip(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return raw, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
