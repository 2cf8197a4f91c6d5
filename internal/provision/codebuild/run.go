package codebuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/openproton/openproton/internal/provision"
)

// errTimedOut ends a run that outlived Options.Timeout.
var errTimedOut = errors.New("the commands ran out of time")

// waitDelay is how long a run waits for its output to close once its
// process group has been killed.
const waitDelay = 5 * time.Second

// run is one run of a template's commands.
type run struct {
	dir     string
	env     []string
	script  string
	bwrap   string   // "" to run unsandboxed
	hidden  []string // what the sandbox hides
	timeout time.Duration
	out     *output
}

// script is the shell script that runs commands one after another in one
// shell, as CodeBuild ran a phase's commands: a command's exports and cd
// hold for the next, and the first that fails ends the run (sh -e). A
// line before each command names it in the output.
func script(commands []string) string {
	var b strings.Builder
	b.WriteString("set -e\n")
	for _, c := range commands {
		first, _, more := strings.Cut(c, "\n")
		if more {
			first += " ..."
		}
		fmt.Fprintf(&b, "printf '%%s\\n' %s\n%s\n", shellQuote(marker+first), c)
	}
	return b.String()
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// environment is the commands' environment: nothing of the server's but
// PATH and its AWS endpoint settings; endpoint is this server's URL.
func (e *Engine) environment(dir, endpoint string, req provision.Request, creds aws.Credentials) []string {
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	var passed []string
	for _, kv := range e.opts.Environ {
		name, value, _ := strings.Cut(kv, "=")
		switch {
		case name == "PATH":
			path = value
		case name == "AWS_ENDPOINT_URL_PROTON":
		case strings.HasPrefix(name, "AWS_ENDPOINT_URL"), name == "AWS_CA_BUNDLE":
			passed = append(passed, kv)
		}
	}
	env := []string{
		"PATH=" + path,
		"HOME=" + dir,
		"RESOURCE_ARN=" + req.Target.ARN,
		"AWS_REGION=" + req.Target.Region,
		"AWS_DEFAULT_REGION=" + req.Target.Region,
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + creds.SessionToken,
		"AWS_ENDPOINT_URL_PROTON=" + endpoint,
	}
	sort.Strings(passed)
	env = append(env, passed...)
	// The manifest's variables, but none of the above.
	set := map[string]bool{}
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		set[name] = true
	}
	names := make([]string, 0, len(req.Commands.Variables))
	for name := range req.Commands.Variables {
		if !set[name] && name != "" && !strings.ContainsAny(name, "=\x00") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		env = append(env, name+"="+req.Commands.Variables[name])
	}
	return env
}

// exec runs the script. It returns nil when every command succeeded; else
// an error whose message says why the run ended, with the output's last
// lines. When ctx ends first, the process group is killed and the error
// wraps context.Cause(ctx).
func (r run) exec(ctx context.Context) error {
	rctx, cancel := context.WithTimeoutCause(ctx, r.timeout, errTimedOut)
	defer cancel()
	args := append(r.sandbox(), "/bin/sh", "-c", r.script)
	cmd := exec.CommandContext(rctx, args[0], args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = r.dir, r.env, r.out, r.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if cmd.Process != nil {
		// What the commands left running in the background goes with them.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	lines, command := r.out.lastLines()
	switch {
	case ctx.Err() != nil:
		r.out.note("stopped: %v", context.Cause(ctx))
		return fmt.Errorf("deployment stopped: %w", context.Cause(ctx))
	case errors.Is(context.Cause(rctx), errTimedOut):
		r.out.note("stopped after %s", r.timeout)
		return &failure{what: fmt.Sprintf("The commands ran longer than %s and were stopped.", r.timeout), tail: lines}
	case err != nil:
		r.out.note("failed: %v", err)
		var ee *exec.ExitError
		what := "The commands failed"
		if command != "" {
			what = fmt.Sprintf("Command %q failed", command)
		}
		if errors.As(err, &ee) && ee.Exited() {
			what += fmt.Sprintf(" with exit status %d", ee.ExitCode())
		} else {
			what += fmt.Sprintf(" (%v)", err)
		}
		return &failure{what: what + ".", tail: lines}
	}
	r.out.note("succeeded")
	return nil
}

// sandbox returns the bwrap command line that r's commands run under, nil
// to run them as they are: the whole file system read-only, the hidden
// paths covered, a private /tmp, the work directory writable, the network
// shared (the commands call this server and AWS).
func (r run) sandbox() []string {
	if r.bwrap == "" {
		return nil
	}
	args := []string{r.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"}
	for _, h := range r.hidden {
		st, err := os.Stat(h)
		switch {
		case err != nil:
		case st.IsDir():
			args = append(args, "--tmpfs", h)
		default:
			args = append(args, "--ro-bind", "/dev/null", h)
		}
	}
	return append(args, "--bind", r.dir, r.dir, "--chdir", r.dir, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--")
}

// unhonoured is the notice of what the manifest asks that a local run
// cannot give: the CodeBuild image and runtimes, and the variables from
// Parameter Store or Secrets Manager.
func unhonoured(c *provision.Commands) string {
	if c.Image == "" && len(c.Runtimes) == 0 && len(c.Secrets) == 0 {
		return ""
	}
	var asked []string
	if c.Image != "" {
		asked = append(asked, "image "+c.Image)
	}
	if len(c.Runtimes) > 0 {
		names := make([]string, 0, len(c.Runtimes))
		for n, v := range c.Runtimes {
			names = append(names, n+" "+v)
		}
		sort.Strings(names)
		asked = append(asked, "runtimes "+strings.Join(names, ", "))
	}
	if len(c.Secrets) > 0 {
		asked = append(asked, "env variables from Parameter Store or Secrets Manager ("+strings.Join(c.Secrets, ", ")+")")
	}
	list := asked[len(asked)-1]
	if len(asked) > 1 {
		list = strings.Join(asked[:len(asked)-1], ", ") + " and " + list
	}
	return "openproton ran the commands on its own host, with its tools: the manifest's " + list + " cannot be honoured locally."
}

// failure is a run that failed: what happened, and the output's last
// lines.
type failure struct {
	what string
	tail string
}

func (f *failure) Error() string { return f.message("") }

// message is the deployment's message: what happened, the notice (if
// any), and the output's last lines.
func (f *failure) message(notice string) string {
	return joinMessage(f.what, notice) + " The output ends:\n" + f.tail
}

// joinMessage joins a message and the notice, if any.
func joinMessage(msg, notice string) string {
	if notice == "" {
		return msg
	}
	return msg + " " + notice
}
