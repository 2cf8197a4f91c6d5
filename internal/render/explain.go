package render

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"

	"github.com/openproton/openproton/internal/fault"
)

// gonja's errors are chains of wrapped messages that print its syntax
// tree (`unable to evaluate filter &{<Token[Name] Val='x' Pos=442 ...`)
// and, for a template that does not parse, the whole template. A user
// needs the file, the line and what is wrong; this file says that in words
// for the errors a template author meets, and passes the others on with
// their innermost message only.

// failed is the error of a file that the template itself made fail; line
// is 0 when the place is not known.
func failed(name string, line int, what string) error {
	// The part that may quote the template or its values is cut as every
	// quoted value is, so that a failed deployment's message stays readable.
	what = fault.Echo(what)
	if line > 0 {
		return fmt.Errorf("rendering %s failed at line %d: %s", name, line, what)
	}
	return fmt.Errorf("rendering %s failed: %s", name, what)
}

// explainParse explains an error of gonja's parser for the file name.
func explainParse(name string, loader *oneFile, env *exec.Environment, err error) error {
	if m := notAvailableRe.FindString(err.Error()); m != "" {
		return failed(name, stopLine(loader, env).line, m)
	}
	var se *parser.SyntaxError
	line := 0
	if errors.As(err, &se) {
		line = se.Line
	}
	stop := stopLine(loader, env)
	if stop.lexical != "" {
		return failed(name, stop.line, "syntax error: "+stop.lexical)
	}
	if line == 0 {
		line = stop.line
	}
	// NewTemplate adds the whole source to the parser's error ("failed to
	// parse template '<source>': ...").
	if inner := errors.Unwrap(err); inner != nil {
		err = inner
	}
	return failed(name, line, "syntax error"+syntaxWhat(err))
}

// notAvailableRe finds the loader's refusal (notAvailable) in the parser's
// error of an {% extends %}.
var notAvailableRe = regexp.MustCompile(`"[^"]*" cannot be read: a bundle template cannot include, import or extend other files`)

// stop is where gonja's parser stopped in a file, and what its lexer
// reported there, if anything.
type stop struct {
	line    int
	lexical string
}

// lexerMessages are the errors of gonja's lexer that are messages; its
// other error tokens hold the text of a string that is never closed.
var lexerMessages = regexp.MustCompile(`^(Unexpected |Unbalanced delimiters|Unable to find raw closing|unclosed comment|invalid numeric token|two dots in numeric token)`)

// stopLine parses the file again to find where gonja's parser stopped,
// for the errors that it reports without a position: those inside a tag's
// arguments, and those of its lexer.
func stopLine(loader *oneFile, env *exec.Environment) stop {
	cfg := config.New()
	p := parser.NewParser(loader.name, tokens.LexAll(loader.source, cfg), cfg, loader, env.ControlStructures)
	if _, err := p.Parse(); err == nil {
		return stop{}
	}
	t := p.Current()
	if t == nil {
		return stop{}
	}
	if t.Type != tokens.Error {
		return stop{line: t.Line}
	}
	// Error tokens carry an offset but no line.
	pos := min(max(t.Pos, 0), len(loader.source))
	if lexerMessages.MatchString(t.Val) {
		return stop{line: lineAt(loader.source, pos), lexical: sentence(t.Val)}
	}
	// An unclosed string: the token holds what follows its quote on its
	// first line.
	if i := strings.LastIndex(loader.source[:pos], t.Val); i >= 0 && t.Val != "" {
		pos = i
	}
	return stop{line: lineAt(loader.source, pos), lexical: fmt.Sprintf("a string is not closed (it starts with %q)", fault.Echo(t.Val))}
}

// lineAt is the line number of the byte at offset pos of s.
func lineAt(s string, pos int) int { return 1 + strings.Count(s[:pos], "\n") }

var (
	tagArgs     = regexp.MustCompile(`^Unable to parse controlStructure "([^"]*)": `)
	unknownTag  = regexp.MustCompile(`^ControlStructure '([^']*)' not found \(or beginning not provided\)`)
	endingTagRe = regexp.MustCompile(`^(end[a-z]*|else|elif)$`)
	unclosedTag = regexp.MustCompile(`(?i)^unexpected EOF, expected tag .*\b(end[a-z]+)$`)
)

// syntaxWhat is the part of a syntax error's message after "syntax error".
func syntaxWhat(err error) string {
	msg := err.Error()
	var se *parser.SyntaxError
	if m := tagArgs.FindStringSubmatch(msg); m != nil {
		inner := strings.TrimPrefix(msg, m[0])
		if errors.As(err, &se) {
			inner = se.Message
		}
		if u := unclosedTag.FindStringSubmatch(strings.TrimSuffix(inner, ".")); u != nil {
			return fmt.Sprintf(": {%% %s %%} is not closed: the template ends before its {%% %s %%}", m[1], u[1])
		}
		return fmt.Sprintf(" in {%% %s %%}: %s", m[1], sentence(inner))
	}
	if errors.As(err, &se) {
		msg = se.Message
	}
	if m := unknownTag.FindStringSubmatch(msg); m != nil {
		if endingTagRe.MatchString(m[1]) {
			return fmt.Sprintf(": {%% %s %%} has no opening tag that it belongs to", m[1])
		}
		return fmt.Sprintf(": there is no tag {%% %s %%}", m[1])
	}
	if strings.HasPrefix(strings.ToLower(msg), "unexpected eof") {
		return ": the template ends in the middle of an expression"
	}
	return ": " + sentence(msg)
}

// sentence lower-cases the first letter of one of gonja's messages and
// drops its final period, so that it reads after a colon.
func sentence(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || (len(s) > n && unicode.IsUpper(rune(s[n]))) {
		return s // empty, or an acronym
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// atLine finds the lines that gonja's renderer names when it wraps the
// error of a statement or an expression; the last one in a message is the
// innermost statement.
var atLine = regexp.MustCompile(`Unable to (?:render expression|render condition|evaluation condition as boolean|execute controlStructure) at line (\d+):`)

// readOfNone ends the message of an attribute or item read from an
// undefined value.
var readOfNone = regexp.MustCompile(`: Can't use (?:Getitem|getattr) on None$`)

// explainRun explains an error of a template's execution for the file name.
func explainRun(name string, err error) error {
	chain := causes(err)
	full, innermost := chain[0].Error(), chain[len(chain)-1].Error()
	line := 0
	if m := atLine.FindAllStringSubmatch(full, -1); m != nil {
		line, _ = strconv.Atoi(m[len(m)-1][1])
	}
	if what, ok := explainMissing(full); ok {
		return failed(name, line, what)
	}
	if loc := readOfNone.FindStringIndex(full); loc != nil {
		// gonja writes both "Unable" and "unable".
		if i := strings.LastIndex(strings.ToLower(full[:loc[0]]), "unable to evaluate "); i >= 0 {
			return failed(name, line, readOfUndefined(full[i+len("unable to evaluate "):loc[0]]))
		}
	}
	return failed(name, line, runWhat(innermost))
}

// causes lists err and the errors it wraps, outermost first. gonja wraps
// with github.com/pkg/errors (Cause) and carries errors inside its values.
func causes(err error) []error {
	var out []error
	for err != nil && len(out) < 10_000 {
		out = append(out, err)
		switch e := err.(type) {
		case interface{ Cause() error }:
			err = e.Cause()
		case *exec.Value:
			err = nil
			if e.IsError() {
				err, _ = e.Interface().(error)
			}
		default:
			err = errors.Unwrap(err)
		}
	}
	return out
}

// runRules turn gonja's innermost execution errors into words; the first
// rule that matches wins. They match the end of a message: some of gonja's
// errors (those of macros) hold their whole chain as text.
// runRule says in words what a message that re matches means; again
// explains a message that the message holds.
type runRule struct {
	re  *regexp.Regexp
	say func(m []string, again func(string) string) string
}

var runRules = []runRule{
	{regexp.MustCompile(`(?:^|: )filter '([^']*)' not found$`), func(m []string, again func(string) string) string { return "there is no filter named " + m[1] }},
	{regexp.MustCompile(`(?:^|: )test '([^']*)' not found$`), func(m []string, again func(string) string) string { return "there is no test named " + m[1] }},
	{regexp.MustCompile(`(?:^|: )([^\s:]+) is not callable$`), func(m []string, again func(string) string) string { return m[1] + " is not a function or macro" }},
	// Proton's filters refuse a value in AWS's words.
	{regexp.MustCompile(`(?s)(?:^|: )invalid call to filter 'proton_cfn_[a-z_]+': (Illegal character\(s\) detected in .*)$`), func(m []string, again func(string) string) string { return m[1] }},
	{regexp.MustCompile(`(?s)(?:^|: )invalid call to (filter|function) '([^']*)': (.*)$`), func(m []string, again func(string) string) string {
		inner := again(m[3])               // an error passed on as the filter's input
		if strings.Contains(inner, m[2]) { // the message names its subject already
			return inner
		}
		return fmt.Sprintf("the %s %s failed: %s", m[1], m[2], inner)
	}},
	{regexp.MustCompile(`(?s)(?:^|: )invalid call to method '([^']*)' of .*: unknown method '[^']*' for .*$`), func(m []string, again func(string) string) string {
		return fmt.Sprintf("this value has no method %s", m[1])
	}},
	{regexp.MustCompile(`(?s)(?:^|: )invalid call to method '([^']*)' of `), func(m []string, again func(string) string) string {
		return fmt.Sprintf("the method %s cannot be called with these arguments on this value", m[1])
	}},
	{regexp.MustCompile(`(?s)(?:^|: )(?:invalid call to|unable to execute) test '([^']*)': (.*)$`), func(m []string, again func(string) string) string {
		return fmt.Sprintf("the test %s failed: %s", m[1], m[2])
	}},
	{regexp.MustCompile(`(?s)(?:^|: )failed to resolve filename: (.*)$`), func(m []string, again func(string) string) string { return m[1] }},
}

func runWhat(msg string) string {
	for _, r := range runRules {
		if m := r.re.FindStringSubmatch(msg); m != nil {
			return r.say(m, runWhat)
		}
	}
	return msg
}

// lastAccessor is the last ".name", ".0" or "[...]" of an expression as
// gonja prints it.
var lastAccessor = regexp.MustCompile(`(?s)(\.[A-Za-z0-9_]+|\[[^\[\]]*\])$`)

// readOfUndefined says that expr could not be read because what it reads
// from is undefined (Jinja's "'x' is undefined").
func readOfUndefined(expr string) string {
	if loc := lastAccessor.FindStringIndex(expr); loc != nil && loc[0] > 0 {
		return fmt.Sprintf("%s is undefined, so %s cannot be read", expr[:loc[0]], expr)
	}
	return fmt.Sprintf("%s cannot be read from an undefined value", expr)
}

// missingRe finds the error of a missing output (missingOutput) at the
// end of gonja's message, with the expression that read it: the last
// "Unable to evaluate EXPR: " before it.
var missingRe = regexp.MustCompile(`(?s)^.*[Uu]nable to evaluate (.+?): (?:there is no output named (\S+?)(: no component is attached)?|no component is attached, so there is no (\S+))$`)

// explainMissing says that a template read an output (or a member of a
// component) that is not there, naming the expression that read it, when
// gonja's message full ends with that error.
func explainMissing(full string) (string, bool) {
	m := missingRe.FindStringSubmatch(full)
	if m == nil {
		return "", false
	}
	expr, parent := m[1], m[1]
	if loc := lastAccessor.FindStringIndex(expr); loc != nil && loc[0] > 0 {
		parent = expr[:loc[0]]
	}
	var what string
	switch {
	case m[4] != "":
		what = fmt.Sprintf("no component is attached to the service instance, so %s has no %s", parent, m[4])
	case m[3] != "":
		what = fmt.Sprintf("no component is attached to the service instance, so %s has no output named %s", parent, m[2])
	default:
		what = fmt.Sprintf("%s has no output named %s", parent, m[2])
	}
	return fmt.Sprintf(`%s (a reference that may be missing takes a default: %s | default("..."))`, what, expr), true
}
