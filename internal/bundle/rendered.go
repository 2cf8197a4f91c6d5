package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openproton/openproton/internal/fault"
)

// RenderedYAML checks a Jinja template once rendered: registration keeps
// Jinja templates as bytes (checkYAMLFiles), so this is where a template
// that does not render to YAML is found, and its deployment fails with the
// error. The error names the file (its path in the bundle), the line and
// what the rendered line reads, since the user cannot see the rendered file.
//
// A YAML escape of U+0000 is not refused here: the rendered file is never
// stored, and an output that would hold one fails its deployment where
// outputs are read.
func RenderedYAML(path, text string) error {
	line, msg := renderedFault([]byte(text))
	if msg == "" {
		return nil
	}
	where := ""
	if line > 0 {
		where = fmt.Sprintf("line %d: ", line)
		if l := lineText(text, line); strings.TrimSpace(l) != "" && !strings.ContainsRune(l, 0) {
			msg += fmt.Sprintf(" (the rendered line %d reads %q)", line, fault.Echo(l))
		}
	}
	return fmt.Errorf("%s is not valid YAML once rendered: %s%s", path, where, msg)
}

// yamlLine finds the line of a yaml.v3 error.
var yamlLine = regexp.MustCompile(`^line (\d+): `)

// renderedFault returns the line (0 when unknown) and the words of the
// first YAML fault of text, "" when it has none.
func renderedFault(text []byte) (line int, msg string) {
	defer func() {
		if r := recover(); r != nil {
			line, msg = 0, "the YAML parser could not read it"
		}
	}()
	if i := bytes.IndexByte(text, 0); i >= 0 {
		return 1 + bytes.Count(text[:i], []byte("\n")), nulMessage
	}
	dec := yaml.NewDecoder(bytes.NewReader(text))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return 0, ""
		}
		if err != nil {
			msg := cleanYAMLError(err)
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = strings.TrimPrefix(msg, m[0])
			}
			return line, msg
		}
	}
}

// lineText is line n (from 1) of text, without its line break.
func lineText(text string, n int) string {
	for i := 1; i < n; i++ {
		nl := strings.IndexByte(text, '\n')
		if nl < 0 {
			return ""
		}
		text = text[nl+1:]
	}
	l, _, _ := strings.Cut(text, "\n")
	return strings.TrimSuffix(l, "\r")
}
