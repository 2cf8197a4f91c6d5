package codebuild

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/openproton/openproton/internal/provision"
)

// awkwardInput is an input document with what HCL must quote or escape.
func awkwardInput() map[string]any {
	return map[string]any{
		"environment": map[string]any{
			"name": "dev",
			"inputs": map[string]any{
				"vpc-id": "vpc-123", "a.b": "dots", "with space": "sp", "ünï": "ok", "": "empty key", "1st": "digit",
				"null": "n", "true": "t", "for": "f", "in": "i", "if": "x",
				"template":  "${var.x} and %{ if true }y%{ endif } and $${z}",
				"quotes":    `say "hi" \ back\slash \n literal`,
				"multiline": "line one\nline two\r\n\ttabbed",
				"unicode":   "日本語 ☃ \u2028 \x7f",
				"port":      8080, "ratio": 0.5, "negative": -3, "big": 1e21, "on": true, "off": false, "nothing": nil,
				"subnets": []any{map[string]any{"cidr": "10.0.0.0/24", "az-name": "a", "tags": []any{"x", 1, true}},
					map[string]any{"cidr": "10.0.1.0/24"}},
				"empty_list": []any{}, "empty_map": map[string]any{}, "nested": []any{[]any{1, "two"}, []any{}},
			},
			"outputs": map[string]any{"VpcId": "vpc-1"},
		},
		"service_instance": map[string]any{"name": "front", "inputs": map[string]any{"for": 1}},
	}
}

// readTfvars parses a .tfvars file as Terraform would (HCL native
// syntax, attributes only) and returns its attributes' values.
func readTfvars(t *testing.T, path string) map[string]cty.Value {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCLFile(path)
	if diags.HasErrors() {
		b, _ := os.ReadFile(path)
		t.Fatalf("%s is not HCL: %v\n%s", path, diags, b)
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatalf("%s: %v", path, diags)
	}
	got := map[string]cty.Value{}
	for name, a := range attrs {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("%s: attribute %s: %v", path, name, diags)
		}
		got[name] = v
	}
	return got
}

func TestHCLInputFileReadsBackAsTheJSONDocument(t *testing.T) {
	dir := t.TempDir()
	input := awkwardInput()
	if err := writeWorkDir(dir, nil, "HCL", input); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{InputFile, InputFileDocs} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was written for input_type HCL", name)
		}
	}
	first, err := os.ReadFile(filepath.Join(dir, InputFileHCL))
	if err != nil {
		t.Fatal(err)
	}
	if second, err := os.ReadFile(filepath.Join(dir, InputFileHCLAuto)); err != nil || string(second) != string(first) {
		t.Fatalf("%s differs from %s: %v", InputFileHCLAuto, InputFileHCL, err)
	}
	got := readTfvars(t, filepath.Join(dir, InputFileHCL))
	doc, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	ty, err := ctyjson.ImpliedType(doc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ctyjson.Unmarshal(doc, ty)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("attributes %v; want environment and service_instance", got)
	}
	for name := range input {
		if v, ok := got[name]; !ok || !v.RawEquals(want.GetAttr(name)) {
			t.Errorf("%s = %#v\nwant %#v\nfile:\n%s", name, v, want.GetAttr(name), first)
		}
	}
	// What the comparison rests on, checked by hand.
	in := got["environment"].GetAttr("inputs")
	for key, value := range map[string]string{"vpc-id": "vpc-123", "a.b": "dots", "with space": "sp", "": "empty key", "null": "n",
		"for": "f", "template": "${var.x} and %{ if true }y%{ endif } and $${z}", "multiline": "line one\nline two\r\n\ttabbed"} {
		if v := in.GetAttr(key); v.Type() != cty.String || v.AsString() != value {
			t.Errorf("inputs[%q] = %#v, want %q", key, v, value)
		}
	}
	if v := in.GetAttr("port"); v.Type() != cty.Number || v.AsBigFloat().Cmp(big.NewFloat(8080)) != 0 {
		t.Errorf("port = %#v, want the number 8080", v)
	}
	if v := in.GetAttr("ratio"); v.Type() != cty.Number || v.AsBigFloat().Cmp(big.NewFloat(0.5)) != 0 {
		t.Errorf("ratio = %#v, want the number 0.5", v)
	}
	if v := in.GetAttr("on"); v.Type() != cty.Bool || !v.True() {
		t.Errorf("on = %#v, want true", v)
	}
	if v := in.GetAttr("subnets"); !v.Type().IsTupleType() || v.LengthInt() != 2 || v.Index(cty.NumberIntVal(0)).GetAttr("az-name").AsString() != "a" {
		t.Errorf("subnets = %#v, want a list of two maps", v)
	}
	text := string(first)
	for _, quoted := range []string{"with space", "a.b", "1st", "", "null", "for", "true"} {
		if !strings.Contains(text, `"`+quoted+`" `) {
			t.Errorf("key %q is not quoted:\n%s", quoted, text)
		}
	}
	// HCL identifiers (dashes included) are written bare.
	for _, bare := range []string{"environment = {", "service_instance = {", "port ", "vpc-id ", "ünï "} {
		if !strings.Contains(text, bare) || strings.Contains(text, `"`+strings.TrimSpace(bare)+`"`) {
			t.Errorf("the file does not hold %q bare:\n%s", bare, text)
		}
	}
}

func TestInputFileNames(t *testing.T) {
	for _, c := range []struct {
		inputType string
		want      []string
	}{{"JSON", []string{InputFile, InputFileDocs}}, {"", []string{InputFile, InputFileDocs}}, {"HCL", []string{InputFileHCL, InputFileHCLAuto}}} {
		got, err := InputFiles(c.inputType)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("InputFiles(%q) = %v, %v; want %v", c.inputType, got, err, c.want)
		}
	}
	if _, err := InputFiles("YAML"); err == nil || !strings.Contains(err.Error(), `input_type "YAML"`) {
		t.Errorf("InputFiles(YAML): %v; want it refused", err)
	}
	dir := t.TempDir()
	if err := writeWorkDir(dir, []provision.File{{Path: "main.tf", Content: "x"}}, "JSON", map[string]any{"environment": map[string]any{"name": "dev"}}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"main.tf", InputFileDocs, InputFile}; !slices.Equal(names, want) {
		t.Errorf("work directory holds %v, want %v", names, want)
	}
}

func TestRunWritesTheHCLInputFile(t *testing.T) {
	h := newHarness(t)
	req := request("d1", provision.Deploy, []string{"test ! -e " + InputFile, "test ! -e " + InputFileDocs,
		"grep -q '^environment = {' " + InputFileHCLAuto,
		`grep -q 'size = "small"' ` + InputFileHCL, "cmp " + InputFileHCL + " " + InputFileHCLAuto}, nil)
	req.Commands.InputType = "HCL"
	if _, err := h.engine().Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}
