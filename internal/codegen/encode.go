package codegen

import (
	"bytes"
	"fmt"
	"regexp"
)

// plainName is a member name that JSON needs no escaping for, so that the
// generated encoders can write it as a constant.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// outputStructures lists the structures that answers can carry: only those
// get encoders.
func (g *gen) outputStructures() []string {
	seen := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		s := g.m.Shapes[name]
		for _, r := range s.Members {
			walk(r.Shape)
		}
		if s.Member != nil {
			walk(s.Member.Shape)
		}
	}
	for _, op := range g.m.Operations {
		walk(op.Output.Shape)
	}
	var out []string
	for _, n := range g.structures() {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// encoders writes AppendJSON for every output structure: the bytes
// json.Marshal writes for the same value, without reflection. Members come
// in struct order (lexical), nil members are left out (omitempty), and
// required lists are written as [] when empty, as the generated MarshalJSON
// methods do.
func (g *gen) encoders(b *bytes.Buffer) {
	b.WriteString("import \"strconv\"\n\n")
	for _, n := range g.outputStructures() {
		s := g.m.Shapes[n]
		fmt.Fprintf(b, "// AppendJSON appends s as JSON, byte for byte what json.Marshal writes.\nfunc (s *%s) AppendJSON(b []byte) []byte {\n", n)
		b.WriteString("\tif s == nil {\n\t\treturn append(b, \"null\"...)\n\t}\n")
		if len(s.Members) == 0 {
			b.WriteString("\treturn append(b, \"{}\"...)\n}\n\n")
			continue
		}
		b.WriteString("\tb = append(b, '{')\n\tstart := len(b)\n")
		for _, mn := range sortedKeys(s.Members) {
			if !plainName.MatchString(mn) {
				panic("member name needs JSON escaping: " + mn)
			}
			field := "s." + goName(mn)
			key := fmt.Sprintf("b = appendKey(b, start, `\"%s\":`)\n", mn)
			target := g.m.Shapes[s.Members[mn].Shape]
			switch {
			case target.Type == "list" && s.isRequired(mn):
				b.WriteString("\t" + key)
				b.WriteString("\t" + g.encodeList(field, s.Members[mn].Shape) + "\n")
			case target.Type == "list":
				fmt.Fprintf(b, "\tif len(%s) > 0 {\n\t\t%s\t\t%s\n\t}\n", field, key, g.encodeList(field, s.Members[mn].Shape))
			default:
				fmt.Fprintf(b, "\tif %s != nil {\n\t\t%s\t\t%s\n\t}\n", field, key, g.encodeValue("*"+field, field, s.Members[mn].Shape))
			}
		}
		b.WriteString("\treturn append(b, '}')\n}\n\n")
	}
}

// encodeValue is a statement appending the value of shape name: value is
// the Go expression of the value, ref an addressable expression (or
// pointer) for structures and times.
func (g *gen) encodeValue(value, ref, name string) string {
	switch g.m.Shapes[name].Type {
	case "string":
		return fmt.Sprintf("b = appendString(b, %s)", value)
	case "integer":
		return fmt.Sprintf("b = strconv.AppendInt(b, int64(%s), 10)", value)
	case "long":
		return fmt.Sprintf("b = strconv.AppendInt(b, %s, 10)", value)
	case "boolean":
		return fmt.Sprintf("b = strconv.AppendBool(b, %s)", value)
	case "timestamp":
		return fmt.Sprintf("b = %s.appendJSON(b)", ref)
	case "structure":
		return fmt.Sprintf("b = %s.AppendJSON(b)", ref)
	case "list":
		return g.encodeList(value, name)
	}
	panic("unsupported shape type " + g.m.Shapes[name].Type)
}

// encodeList is a statement appending the list value of shape name. The
// model has no list of lists, which would need loop variables of their own.
func (g *gen) encodeList(value, name string) string {
	elem := g.m.Shapes[name].Member.Shape
	if g.m.Shapes[elem].Type == "list" {
		panic("list of lists is not supported by the generator: " + name)
	}
	return fmt.Sprintf("b = append(b, '[')\nfor i := range %s {\nif i > 0 {\nb = append(b, ',')\n}\n%s\n}\nb = append(b, ']')",
		value, g.encodeValue(value+"[i]", "(&"+value+"[i])", elem))
}
