package codegen

import (
	"bytes"
	"fmt"
	"strings"
)

// A summary shape (XSummary) is what a list answers for a resource whose
// full shape (X) a read answers. When every member of XSummary is a member
// of X of the same type, the generator writes X.Summary, so that a handler
// maps a resource once and lists project it.

// projection is a summary that X.Summary builds from its full shape.
type projection struct {
	summary, full string
	// loose notes the members whose target shapes differ by name only:
	// two strings without an enum, which share their Go type and wire form
	// and differ in length or pattern, constraints the server checks on
	// requests only.
	loose []string
}

// summaryPairs pairs every structure named XSummary with the structure X.
// A pair that breaks the rule is a problem and gets no projection; lone
// lists the summaries with no shape X at all.
func summaryPairs(m *Model) (ps []projection, problems, lone []string) {
	for _, name := range sortedKeys(m.Shapes) {
		s := m.Shapes[name]
		full, ok := strings.CutSuffix(name, "Summary")
		if !ok || full == "" || s.Type != "structure" || s.Exception {
			continue
		}
		f, ok := m.Shapes[full]
		if !ok {
			lone = append(lone, name)
			continue
		}
		if f.Type != "structure" || f.Exception {
			kind := f.Type
			if f.Exception {
				kind = "exception"
			}
			problems = append(problems, fmt.Sprintf("%s: %s is %s %s, not a structure", name, full, article(kind), kind))
			continue
		}
		p := projection{summary: name, full: full}
		broken := false
		for _, mn := range sortedKeys(s.Members) {
			want := s.Members[mn].Shape
			fr, ok := f.Members[mn]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: member %s is not a member of %s", name, mn, full))
				broken = true
			case fr.Shape == want:
			case plainString(m.Shapes[fr.Shape]) && plainString(m.Shapes[want]):
				p.loose = append(p.loose, fmt.Sprintf("%s is %s in %s and %s in %s", mn, want, name, fr.Shape, full))
			default:
				problems = append(problems, fmt.Sprintf("%s: member %s is %s in %s and %s in %s", name, mn, want, name, fr.Shape, full))
				broken = true
			}
		}
		if !broken {
			ps = append(ps, p)
		}
	}
	return ps, problems, lone
}

// plainString reports a string shape without an enum.
func plainString(s Shape) bool { return s.Type == "string" && len(s.Enum) == 0 }

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// SummaryProblems lists the summary shapes that break the rule of
// projections, one line each; the generator writes no Summary method for
// them.
func SummaryProblems(m *Model) []string {
	_, problems, _ := summaryPairs(m)
	return problems
}

// summaries writes X.Summary for every projection, and names in comments
// the summaries it passed over.
func (g *gen) summaries(b *bytes.Buffer) {
	ps, problems, lone := summaryPairs(g.m)
	if len(problems) > 0 {
		b.WriteString("// No projection: these summaries have members their full shape lacks or\n// types differently.\n//\n")
		for _, p := range problems {
			fmt.Fprintf(b, "// %s.\n", p)
		}
		b.WriteString("\n")
	}
	if len(lone) > 0 {
		fmt.Fprintf(b, "// Summaries without a full shape: %s.\n\n", strings.Join(lone, ", "))
	}
	for _, p := range ps {
		fmt.Fprintf(b, "// Summary returns the %s of x: each of its members holds x's value\n// (pointers and slices share what they point to, as in a hand-written mapping).\n", p.summary)
		if len(p.loose) > 0 {
			b.WriteString("//\n// Members whose shapes differ in constraints only (both plain strings; answers\n// are never checked against constraints):\n")
			for _, l := range p.loose {
				fmt.Fprintf(b, "// %s.\n", l)
			}
		}
		fmt.Fprintf(b, "func (x *%s) Summary() %s {\n\treturn %s{\n", p.full, p.summary, p.summary)
		for _, mn := range sortedKeys(g.m.Shapes[p.summary].Members) {
			fmt.Fprintf(b, "\t\t%s: x.%s,\n", goName(mn), goName(mn))
		}
		b.WriteString("\t}\n}\n\n")
	}
}
