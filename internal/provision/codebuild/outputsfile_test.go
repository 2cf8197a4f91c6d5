package codebuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/openproton/openproton/internal/provision"
)

// o is an output.
func o(key, value string) provision.Output { return provision.Output{Key: key, Value: value} }

func TestOutputsFileForms(t *testing.T) {
	want := []provision.Output{o("Flag", "true"), o("Nothing", "null"), o("Port", "8080"), o("Ratio", "0.5"), o("VpcId", "vpc-1")}
	for name, doc := range map[string]string{
		"Proton's list": `[{"key": "VpcId", "valueString": "vpc-1"}, {"key": "Port", "valueString": 8080}, {"key": "Ratio", "valueString": 0.5},
			{"key": "Flag", "valueString": true}, {"key": "Nothing", "valueString": null}]`,
		"flat": `{"VpcId": "vpc-1", "Port": 8080, "Ratio": 0.5, "Flag": true, "Nothing": null}`,
		"terraform output -json": `{"VpcId": {"sensitive": false, "type": "string", "value": "vpc-1"}, "Port": {"type": "number", "value": 8080},
			"Ratio": {"sensitive": false, "type": "number", "value": 0.5}, "Flag": {"sensitive": true, "type": "bool", "value": true},
			"Nothing": {"type": "string", "value": null}}`,
		"AWS CDK": `{"NetworkStack": {"VpcId": "vpc-1", "Port": 8080}, "Other": {"Ratio": 0.5, "Flag": true, "Nothing": null, "Port": 8080}, "Empty": {}}`,
	} {
		got, err := parseOutputs([]byte(doc), 10)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, %v; want %v", name, got, err, want)
		}
	}
	for _, c := range []struct {
		doc  string
		want []provision.Output
	}{
		{`{}`, []provision.Output{}},
		{`[]`, []provision.Output{}},
		{` [{"key": "k"}] `, []provision.Output{o("k", "")}},
		{`[{"key": "k", "valueString": "1"}, {"key": "k", "valueString": "2"}]`, []provision.Output{o("k", "2")}},
		{`{"k": "a ${x} \"q\" 日本"}`, []provision.Output{o("k", `a ${x} "q" 日本`)}},
		{`{"big": 12345678901234567890, "e": 1e3}`, []provision.Output{o("big", "12345678901234567890"), o("e", "1e3")}},
	} {
		got, err := parseOutputs([]byte(c.doc), 10)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, %v; want %v", c.doc, got, err, c.want)
		}
	}
}

func TestOutputsFileRefused(t *testing.T) {
	long := strings.Repeat("é", maxOutputText+1)
	many := "{"
	for i := range 11 {
		if i > 0 {
			many += ","
		}
		many += fmt.Sprintf(`"k%d": "v"`, i)
	}
	many += "}"
	for doc, want := range map[string]string{
		`{"k": "v"`:                            "is not valid JSON",
		`{"k": "v"} {"l": "w"}`:                "is not valid JSON: more follows the first value",
		`"text"`:                               `holds text; want a list [{"key": "name", "valueString": "value"}], an object {"name": "value"}, the AWS CDK's outputs file {"Stack": {"name": "value"}} or what terraform output -json prints`,
		`42`:                                   "holds a number; want",
		`null`:                                 "holds null; want",
		`{"k": [1, 2]}`:                        `has output "k": its value is a list; an output's value is text, a number, a bool or null`,
		`{"S": {"k": {"deep": 1}}}`:            `has output "k" of stack "S": its value is an object`,
		`{"S": {"k": "v"}, "k": "v"}`:          "mixes outputs",
		`{"A": {"k": "1"}, "B": {"k": "2"}}`:   `has output "k" in stacks "A" and "B", with different values`,
		`["k"]`:                                `has output 1 of the list: it is text; a list holds outputs as {"key": "name", "valueString": "value"}`,
		`[{"key": "k", "value": "v"}]`:         `has output 1 of the list: it has the member "value"; an output has only "key" and "valueString"`,
		`[{"valueString": "v"}]`:               `has output 1 of the list: it has no "key" that is text`,
		`[{"key": "k", "valueString": ["v"]}]`: `has output 1 of the list ("k"): its value is a list`,
		`{"": "v"}`:                            `has output "": its name is empty`,
		`{"k": "` + long + `"}`:                `has output "k": its value is longer than 1024 characters`,
		`{"` + long + `": "v"}`:                "its name is longer than 1024 characters",
		`{"k": "a\u0000b"}`:                    "U+0000",
		many:                                   "holds 11 outputs; a deployment holds at most 10",
		`{"subnets": {"sensitive": false, "type": ["list", "string"], "value": ["a", "b"]}}`: `has output "subnets" of terraform output -json: its value is a list`,
		`[{"key": "a", "valueString": "1"}, {"key": 1}]`:                                     `has output 2 of the list: it has no "key" that is text`,
	} {
		got, err := parseOutputs([]byte(doc), 10)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60s: %v, %v; want an error saying %q", doc, got, err, want)
		}
	}
	// Stacks whose outputs are named type and value, and more, are the
	// CDK's; so are they when one stack has other names.
	if got, err := parseOutputs([]byte(`{"A": {"type": "t", "value": "v", "Other": "o"}}`), 10); err != nil ||
		!reflect.DeepEqual(got, []provision.Output{o("Other", "o"), o("type", "t"), o("value", "v")}) {
		t.Errorf("CDK stack: %v, %v", got, err)
	}
	if got, err := parseOutputs([]byte(`{"A": {"type": "t", "value": "v"}, "B": {"Other": "o"}}`), 10); err != nil ||
		!reflect.DeepEqual(got, []provision.Output{o("Other", "o"), o("type", "t"), o("value", "v")}) {
		t.Errorf("CDK stacks: %v, %v", got, err)
	}
	// The count is of distinct keys: a CDK output in two stacks alike is one.
	if got, err := parseOutputs([]byte(`{"A": {"k": "1"}, "B": {"k": "1"}}`), 1); err != nil || len(got) != 1 {
		t.Errorf("one output in two stacks: %v, %v", got, err)
	}
}

func TestOutputsFileIsReadSafely(t *testing.T) {
	dir := t.TempDir()
	if outs, err := readOutputs(dir, 10); err != nil || outs != nil {
		t.Fatalf("no file: %v, %v; want no outputs", outs, err)
	}
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"secret": "s3cr3t"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, OutputsFile)); err != nil {
		t.Fatal(err)
	}
	if outs, err := readOutputs(dir, 10); err == nil || !strings.Contains(err.Error(), OutputsFile+" is not a regular file but a symbolic link") {
		t.Errorf("symbolic link: %v, %v; want it refused", outs, err)
	}
	os.Remove(filepath.Join(dir, OutputsFile))
	if err := os.Mkdir(filepath.Join(dir, OutputsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := readOutputs(dir, 10); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Errorf("directory: %v; want it refused", err)
	}
	os.Remove(filepath.Join(dir, OutputsFile))
	// A named pipe with no writer would block a reader.
	if err := syscall.Mkfifo(filepath.Join(dir, OutputsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readOutputs(dir, 10); err == nil || !strings.HasSuffix(err.Error(), OutputsFile+" is not a regular file") {
		t.Errorf("named pipe: %v; want it refused", err)
	}
	os.Remove(filepath.Join(dir, OutputsFile))
	big := `{"k": "` + strings.Repeat("x", MaxOutputsFile) + `"}`
	if err := os.WriteFile(filepath.Join(dir, OutputsFile), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readOutputs(dir, 10); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s is larger than %d bytes", OutputsFile, MaxOutputsFile)) {
		t.Errorf("2 MiB file: %v; want it refused", err)
	}
}

func TestRunReadsTheOutputsFile(t *testing.T) {
	h := newHarness(t)
	e := h.engine()
	cdk := `{"NetworkStack": {"VpcId": "vpc-9", "Port": 8080}}`
	res, err := e.Run(context.Background(), request("d1", provision.Deploy, []string{"mkdir sub && cd sub", "printf '%s' '" + cdk + "' > ../" + OutputsFile}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := []provision.Output{o("Port", "8080"), o("VpcId", "vpc-9")}; !reflect.DeepEqual(res.Outputs, want) {
		t.Errorf("outputs = %v, want %v", res.Outputs, want)
	}
	// A destroy does not read it: its target goes away.
	res, err = e.Run(context.Background(), request("d2", provision.Destroy, nil, []string{"echo '{bad' > " + OutputsFile}))
	if err != nil || len(res.Outputs) != 0 {
		t.Errorf("destroy: %+v, %v; want no outputs read", res, err)
	}
	_, err = e.Run(context.Background(), request("d3", provision.Deploy, []string{"echo '[{\"key\": \"k\", \"value\": \"v\"}]' > " + OutputsFile}, nil))
	if err == nil || !strings.Contains(err.Error(), `The 1 provision commands ran, but proton-outputs.json has output 1 of the list: it has the member "value"`) ||
		!strings.Contains(err.Error(), "cannot be honoured locally") {
		t.Errorf("error = %v; want the file and what is wrong with it named", err)
	}
	if log := h.log(t, "d3"); !strings.Contains(log, "the outputs file failed the deployment") {
		t.Errorf("log = %q; want it to say why the deployment failed", log)
	}
	h.opts.MaxOutputs = 1
	if _, err := h.engine().Run(context.Background(), request("d4", provision.Deploy, []string{"echo '{\"a\": 1, \"b\": 2}' > " + OutputsFile}, nil)); err == nil ||
		!strings.Contains(err.Error(), "holds 2 outputs; a deployment holds at most 1") {
		t.Errorf("error = %v; want Options.MaxOutputs to bound the file", err)
	}
}
