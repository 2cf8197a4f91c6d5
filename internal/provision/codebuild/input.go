package codebuild

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/openproton/openproton/internal/provision"
)

// The names the input file is written under. For input_type JSON: AWS's
// samples read proton-inputs.json, AWS's documentation names
// proton-input.json. For input_type HCL, a Terraform variable definitions
// file: proton-input.tfvars (AWS documents only the extension) for
// `terraform apply -var-file`, and proton.auto.tfvars, which Terraform
// loads from the work directory without flags.
const (
	InputFile        = "proton-inputs.json"
	InputFileDocs    = "proton-input.json"
	InputFileHCL     = "proton-input.tfvars"
	InputFileHCLAuto = "proton.auto.tfvars"
)

// The input types of a manifest.
const (
	inputTypeJSON = "JSON"
	inputTypeHCL  = "HCL"
)

// InputFiles are the names the input file of inputType (JSON or HCL) is
// written under, all with the same content: the one place that decides
// them.
func InputFiles(inputType string) ([]string, error) {
	switch inputType {
	case inputTypeJSON, "":
		return []string{InputFile, InputFileDocs}, nil
	case inputTypeHCL:
		return []string{InputFileHCL, InputFileHCLAuto}, nil
	}
	return nil, fmt.Errorf("input_type %q is not supported; use JSON or HCL", inputType)
}

// inputDocument is the content of the input file of inputType holding
// input: the JSON document, or for HCL the same document as Terraform
// variable definitions, one attribute per namespace.
func inputDocument(inputType string, input map[string]any) ([]byte, error) {
	if input == nil {
		input = map[string]any{}
	}
	doc, err := json.MarshalIndent(input, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write the input file: %w", err)
	}
	if inputType != inputTypeHCL {
		return append(doc, '\n'), nil
	}
	return tfvars(doc)
}

// tfvars writes the JSON object doc as Terraform variable definitions:
// each of its members an attribute, its value typed as in JSON (strings,
// numbers, bools, null, tuples for arrays, objects for objects), object
// keys that are no plain identifiers quoted.
func tfvars(doc []byte) ([]byte, error) {
	ty, err := ctyjson.ImpliedType(doc)
	if err != nil {
		return nil, fmt.Errorf("write the input file as HCL: %w", err)
	}
	v, err := ctyjson.Unmarshal(doc, ty)
	if err != nil {
		return nil, fmt.Errorf("write the input file as HCL: %w", err)
	}
	if !ty.IsObjectType() {
		return nil, fmt.Errorf("write the input file as HCL: the input document is not an object")
	}
	names := make([]string, 0, len(ty.AttributeTypes()))
	for name := range ty.AttributeTypes() {
		if !plainKey(name) {
			return nil, fmt.Errorf("write the input file as HCL: %q is not a Terraform variable name", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	for _, name := range names {
		body.SetAttributeRaw(name, valueTokens(v.GetAttr(name)))
	}
	return f.Bytes(), nil
}

// valueTokens are the HCL tokens of v: objects and tuples element by
// element, so that an object key is written bare only when HCL reads it
// back as that key (plainKey), quoted otherwise.
func valueTokens(v cty.Value) hclwrite.Tokens {
	ty := v.Type()
	switch {
	case v.IsNull():
		return hclwrite.TokensForValue(v)
	case ty.IsObjectType():
		attrs := make([]hclwrite.ObjectAttrTokens, 0, len(ty.AttributeTypes()))
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			name := hclwrite.TokensForValue(k)
			if plainKey(k.AsString()) {
				name = hclwrite.TokensForIdentifier(k.AsString())
			}
			attrs = append(attrs, hclwrite.ObjectAttrTokens{Name: name, Value: valueTokens(e)})
		}
		return hclwrite.TokensForObject(attrs)
	case ty.IsTupleType():
		elems := make([]hclwrite.Tokens, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			elems = append(elems, valueTokens(e))
		}
		return hclwrite.TokensForTuple(elems)
	}
	return hclwrite.TokensForValue(v)
}

// plainKey reports whether name can be written as a bare key: an HCL
// identifier that HCL does not read as a literal (null, true, false) or the
// start of a for expression.
func plainKey(name string) bool {
	switch name {
	case "null", "true", "false", "for", "in", "if":
		return false
	}
	return hclsyntax.ValidIdentifier(name)
}

// writeWorkDir writes files (paths relative to the template's
// infrastructure folder) into dir, and the input file of inputType,
// holding input, next to them under each of its names (InputFiles); an
// input file of the bundle's own is replaced, as Proton did.
func writeWorkDir(dir string, files []provision.File, inputType string, input map[string]any) error {
	names, err := InputFiles(inputType)
	if err != nil {
		return err
	}
	doc, err := inputDocument(inputType, input)
	if err != nil {
		return err
	}
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
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), doc, 0o644); err != nil {
			return fmt.Errorf("write the input file: %w", err)
		}
	}
	return nil
}
