package codebuild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/openproton/openproton/internal/provision"
)

// OutputsFile is the file that a template's provision commands may leave in
// the work directory to report their outputs, read once they succeeded.
const OutputsFile = "proton-outputs.json"

// Limits of the outputs file.
const (
	// MaxOutputsFile is the largest outputs file read.
	MaxOutputsFile = 1 << 20
	// DefaultMaxOutputs is the default of Options.MaxOutputs, the
	// deployments' own default (deployments.DefaultMaxOutputs).
	DefaultMaxOutputs = 500
	// maxOutputText bounds an output's key and value, in characters, as
	// Proton's API does.
	maxOutputText = 1024
)

// readOutputs reads the outputs file in dir, if the commands left one
// there: no file is no outputs. It holds at most max outputs. An error's
// message starts with the file's name and says what is wrong with it.
func readOutputs(dir string, max int) ([]provision.Output, error) {
	doc, err := readOutputsFile(filepath.Join(dir, OutputsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil {
		var outs []provision.Output
		if outs, err = parseOutputs(doc, max); err == nil {
			return outs, nil
		}
	}
	return nil, fmt.Errorf("%s %w", OutputsFile, err)
}

// readOutputsFile reads the regular file at path, of at most
// MaxOutputsFile bytes. It follows no symbolic link: the commands could
// point one at what their sandbox hid from them.
func readOutputsFile(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("could not be read: %w", err)
	case st.Mode()&fs.ModeSymlink != 0:
		return nil, errors.New("is not a regular file but a symbolic link, which is not followed")
	case st.IsDir():
		return nil, errors.New("is not a regular file but a directory")
	case !st.Mode().IsRegular():
		return nil, errors.New("is not a regular file")
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("could not be read: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("is not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxOutputsFile+1))
	if err != nil {
		return nil, fmt.Errorf("could not be read: %w", err)
	}
	if len(b) > MaxOutputsFile {
		return nil, fmt.Errorf("is larger than %d bytes", MaxOutputsFile)
	}
	return b, nil
}

// parseOutputs reads an outputs file's content, in one of the forms that
// users have, and returns its outputs ordered by key:
//   - Proton's output list, as `aws proton
//     notify-resource-deployment-status-change --outputs` takes it:
//     [{"key": "k", "valueString": "v"}];
//   - a flat object: {"k": "v"};
//   - the AWS CDK's --outputs-file: {"Stack": {"k": "v"}}, the outputs of
//     every stack together (a key that two stacks give different values
//     is an error);
//   - what `terraform output -json` prints: {"k": {"sensitive": false,
//     "type": "string", "value": "v"}}, told from the CDK's form by every
//     member being an object with "type" and "value" and nothing but
//     "sensitive" besides.
//
// A value that is a number, a bool or null becomes its JSON text; a list or
// an object (below a stack) is an error. There are at most max outputs.
func parseOutputs(doc []byte, max int) ([]provision.Output, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("is not valid JSON: more follows the first value")
	}
	got := map[string]string{}
	from := map[string]string{} // a CDK output's stack
	add := func(where, key string, value any) error {
		s, err := outputText(value)
		if err != nil {
			return fmt.Errorf("has %s: %v", where, err)
		}
		if err := checkOutput(key, s); err != nil {
			return fmt.Errorf("has %s: %v", where, err)
		}
		got[key] = s
		return nil
	}
	switch doc := v.(type) {
	case []any:
		for i, e := range doc {
			where := fmt.Sprintf("output %d of the list", i+1)
			o, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf(`has %s: it is %s; a list holds outputs as {"key": "name", "valueString": "value"}`, where, kind(e))
			}
			for k := range o {
				if k != "key" && k != "valueString" {
					return nil, fmt.Errorf(`has %s: it has the member %q; an output has only "key" and "valueString"`, where, k)
				}
			}
			key, ok := o["key"].(string)
			if !ok {
				return nil, fmt.Errorf(`has %s: it has no "key" that is text`, where)
			}
			value, ok := o["valueString"]
			if !ok {
				value = ""
			}
			if err := add(fmt.Sprintf("%s (%q)", where, key), key, value); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		stacks, flat := 0, 0
		for _, e := range doc {
			if _, ok := e.(map[string]any); ok {
				stacks++
			} else {
				flat++
			}
		}
		if stacks > 0 && flat > 0 {
			return nil, errors.New(`mixes outputs ({"name": "value"}) and stacks of the AWS CDK's outputs file ({"Stack": {"name": "value"}}); use one form`)
		}
		if stacks > 0 && terraformOutputs(doc) {
			for _, name := range slices.Sorted(maps.Keys(doc)) {
				if err := add(fmt.Sprintf("output %q of terraform output -json", name), name, doc[name].(map[string]any)["value"]); err != nil {
					return nil, err
				}
			}
			break
		}
		for _, name := range slices.Sorted(maps.Keys(doc)) {
			stack, ok := doc[name].(map[string]any)
			if !ok {
				if err := add(fmt.Sprintf("output %q", name), name, doc[name]); err != nil {
					return nil, err
				}
				continue
			}
			for _, key := range slices.Sorted(maps.Keys(stack)) {
				before, seen := got[key]
				if err := add(fmt.Sprintf("output %q of stack %q", key, name), key, stack[key]); err != nil {
					return nil, err
				}
				if seen && before != got[key] {
					return nil, fmt.Errorf("has output %q in stacks %q and %q, with different values", key, from[key], name)
				}
				from[key] = name
			}
		}
	default:
		return nil, fmt.Errorf(`holds %s; want a list [{"key": "name", "valueString": "value"}], an object {"name": "value"}, the AWS CDK's outputs file {"Stack": {"name": "value"}} or what terraform output -json prints`, kind(v))
	}
	if len(got) > max {
		return nil, fmt.Errorf("holds %d outputs; a deployment holds at most %d", len(got), max)
	}
	outs := make([]provision.Output, 0, len(got))
	for _, k := range slices.Sorted(maps.Keys(got)) {
		outs = append(outs, provision.Output{Key: k, Value: got[k]})
	}
	return outs, nil
}

// terraformOutputs reports whether doc, an object of objects, is what
// `terraform output -json` prints: each member has a "type" and a "value",
// and nothing but "sensitive" besides.
func terraformOutputs(doc map[string]any) bool {
	for _, e := range doc {
		o := e.(map[string]any)
		for k := range o {
			if k != "type" && k != "value" && k != "sensitive" {
				return false
			}
		}
		if _, ok := o["type"]; !ok {
			return false
		}
		if _, ok := o["value"]; !ok {
			return false
		}
	}
	return true
}

// outputText is the text of an output's value: a string as it is, another
// scalar as its JSON text.
func outputText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	case nil:
		return "null", nil
	}
	return "", fmt.Errorf("its value is %s; an output's value is text, a number, a bool or null", kind(v))
}

// checkOutput checks an output against the bounds of Proton's API.
func checkOutput(key, value string) error {
	switch {
	case key == "":
		return errors.New("its name is empty")
	case utf8.RuneCountInString(key) > maxOutputText:
		return fmt.Errorf("its name is longer than %d characters", maxOutputText)
	case utf8.RuneCountInString(value) > maxOutputText:
		return fmt.Errorf("its value is longer than %d characters", maxOutputText)
	case strings.IndexByte(key, 0) >= 0 || strings.IndexByte(value, 0) >= 0:
		return errors.New("it holds the character U+0000 (NUL), which an output cannot hold")
	}
	return nil
}

// kind names the JSON kind of v, for a message.
func kind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case string:
		return "text"
	case json.Number:
		return "a number"
	case bool:
		return "a bool"
	}
	return "null"
}
