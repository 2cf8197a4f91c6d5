package e2e

// A new user follows README.md, then docs/templates.md, then
// docs/environments.md, pasting their shell blocks into one shell. This test
// does exactly that: it takes the blocks marked for it, in page order, and
// runs them with bash (set -euo pipefail) in a fresh copy of the repository's
// tree, then checks that the shipped examples were registered and that
// environments were deployed from them. A command of a marked block that
// fails, or a step missing from the pages, fails the test.
//
// A marked block is a ```sh fence right after the line
//
//	<!-- try -->        run in every flow
//	<!-- try dir -->    run only in the flow that keeps bundles in a directory
//	<!-- try s3 -->     run only in the flow that keeps bundles in S3 (moto_server)
//
// The pages read OPENPROTON_LISTEN and S3_PORT with the documented ports as
// defaults; the test sets both to free loopback ports, since a port found
// free can be taken by a parallel run before the server binds it.

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/proton"
	"github.com/aws/aws-sdk-go-v2/service/proton/types"
)

// tryPages are the pages a new user follows, in order.
var tryPages = []string{"README.md", "docs/templates.md", "docs/environments.md"}

// tryFlows are the flows a marker may name.
var tryFlows = []string{"dir", "s3"}

var tryMarker = regexp.MustCompile(`^<!-- try(?: ([a-z0-9]+))? -->$`)

// tryBlock is one marked shell block of a page.
type tryBlock struct {
	where string // page:line of the marker
	flow  string // "" for every flow
	body  string
}

// tryBlocks returns the marked blocks of the pages under root that flow runs,
// in order. A marker that is not followed by a ```sh block, or that names an
// unknown flow, is an error: a marker that silently matched nothing would
// drop a step from the test.
func tryBlocks(root, flow string) ([]tryBlock, error) {
	var out []tryBlock
	for _, page := range tryPages {
		data, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			return nil, err
		}
		lines := strings.Split(string(data), "\n")
		for i := 0; i < len(lines); i++ {
			m := tryMarker.FindStringSubmatch(lines[i])
			if m == nil {
				if strings.HasPrefix(lines[i], "<!-- try") {
					return nil, fmt.Errorf("%s:%d: malformed marker %q", page, i+1, lines[i])
				}
				continue
			}
			b := tryBlock{where: fmt.Sprintf("%s:%d", page, i+1), flow: m[1]}
			if b.flow != "" && !slices.Contains(tryFlows, b.flow) {
				return nil, fmt.Errorf("%s: unknown flow %q (known: %v)", b.where, b.flow, tryFlows)
			}
			if i+1 >= len(lines) || lines[i+1] != "```sh" {
				return nil, fmt.Errorf("%s: the marker is not followed by a ```sh block", b.where)
			}
			j := i + 2
			for ; j < len(lines) && lines[j] != "```"; j++ {
			}
			if j == len(lines) {
				return nil, fmt.Errorf("%s: the block does not end", b.where)
			}
			b.body = strings.Join(lines[i+2:j], "\n")
			if b.flow == "" || b.flow == flow {
				out = append(out, b)
			}
			i = j
		}
	}
	return out, nil
}

// tryScript is the bash script of the blocks: each announced by a no-op
// command that set -x shows, so that a failure's output says which block it
// was in.
func tryScript(blocks []tryBlock) string {
	var b strings.Builder
	b.WriteString("set -euo pipefail\nset -x\n")
	for _, blk := range blocks {
		fmt.Fprintf(&b, ": '=== %s ==='\n%s\n", blk.where, blk.body)
	}
	return b.String()
}

func TestTryItDocs(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "tar", "aws", "moto_server"} {
		requireTool(t, tool, "the pages' commands use it")
	}
	for _, flow := range tryFlows {
		t.Run(flow, func(t *testing.T) { tryFlow(t, flow) })
	}
}

func tryFlow(t *testing.T, flow string) {
	blocks, err := tryBlocks(repoRoot(), flow)
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range tryPages {
		found := false
		for _, b := range blocks {
			found = found || strings.HasPrefix(b.where, page+":")
		}
		if !found {
			t.Fatalf("%s has no block marked for the %s flow", page, flow)
		}
	}

	tree := filepath.Join(t.TempDir(), "openproton")
	copyTree(t, repoRoot(), tree)
	script := filepath.Join(t.TempDir(), "try.sh")
	if err := os.WriteFile(script, []byte(tryScript(blocks)), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	_, s3Port, _ := strings.Cut(freeAddr(t), ":")
	env := append(newUserEnv(), "OPENPROTON_LISTEN="+addr, "S3_PORT="+s3Port)

	logPath := filepath.Join(t.TempDir(), "shell.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir, cmd.Env = tree, env
	// Files, not pipes: the servers the blocks start in the background keep
	// the shell's output open, and Wait would wait for them.
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so that the servers the blocks start in the
	// background are stopped with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { stopGroup(t, pgid) })
	started := time.Now()
	runErr := cmd.Wait()
	t.Logf("%s flow: %d blocks ran in %s", flow, len(blocks), time.Since(started).Round(time.Second))
	if runErr != nil {
		t.Fatalf("the %s flow failed: %v\n%s", flow, runErr, tryLogs(logPath, tree))
	}
	tryCheck(t, "http://"+addr, logPath, tree)
}

// tryCheck checks what the pages promise: the examples are registered and
// published, and the environments deployed from them.
func tryCheck(t *testing.T, url, logPath, tree string) {
	c := proton.New(proton.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("111111111111", "anything", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   connHTTPClient,
	})
	defer connHTTPClient.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\n%s", append(args, tryLogs(logPath, tree))...)
	}
	for _, name := range []string{"vpc", "tf-vpc"} {
		out, err := c.GetEnvironmentTemplate(ctx, &proton.GetEnvironmentTemplateInput{Name: aws.String(name)})
		if err != nil || aws.ToString(out.EnvironmentTemplate.RecommendedVersion) == "" {
			fail("environment template %s is not published: %v", name, err)
		}
	}
	for _, name := range []string{"fargate", "lambda"} {
		out, err := c.GetServiceTemplate(ctx, &proton.GetServiceTemplateInput{Name: aws.String(name)})
		if err != nil || aws.ToString(out.ServiceTemplate.RecommendedVersion) == "" {
			fail("service template %s is not published: %v", name, err)
		}
	}

	// The self-managed environment, ended by the pages' notification.
	tf, err := c.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("tf-dev")})
	if err != nil {
		fail("GetEnvironment tf-dev: %v", err)
	}
	if e := tf.Environment; e.DeploymentStatus != types.DeploymentStatusSucceeded || aws.ToString(e.TemplateName) != "tf-vpc" {
		fail("tf-dev: %s on template %s, want SUCCEEDED on tf-vpc", e.DeploymentStatus, aws.ToString(e.TemplateName))
	}
	if got := environmentOutputs(ctx, t, c, "tf-dev"); got["vpc_id"] == "" {
		fail("tf-dev has no vpc_id output: %v", got)
	}

	// The CloudFormation environment: deployed, with the outputs the
	// emulating engine took from the rendered example; then the pages
	// cancel an update of it.
	dev, err := c.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("dev")})
	if err != nil {
		fail("GetEnvironment dev: %v", err)
	}
	if e := dev.Environment; aws.ToString(e.LastSucceededDeploymentId) == "" || aws.ToString(e.TemplateName) != "vpc" {
		fail("dev: never deployed from template vpc: %s %s", e.DeploymentStatus, aws.ToString(e.TemplateName))
	}
	if got := environmentOutputs(ctx, t, c, "dev"); got["ClusterName"] != "dev" || got["VpcCidr"] != "10.0.0.0/16" {
		fail("dev's outputs %v, want ClusterName dev and VpcCidr 10.0.0.0/16 from the example", got)
	}
	for {
		e, err := c.GetEnvironment(ctx, &proton.GetEnvironmentInput{Name: aws.String("dev")})
		if err != nil {
			fail("GetEnvironment dev: %v", err)
		}
		if s := e.Environment.DeploymentStatus; s == types.DeploymentStatusCancelled {
			break
		} else if s != types.DeploymentStatusCancelling {
			fail("dev after the pages' cancel: %s, want CANCELLED", s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tryLogs is the end of the shell's output and of the logs the pages write,
// for a failure's message.
func tryLogs(shellLog, tree string) string {
	var b strings.Builder
	for _, f := range []string{shellLog, filepath.Join(tree, "openproton.log"), filepath.Join(tree, "moto.log")} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if len(data) > 20000 {
			data = data[len(data)-20000:]
		}
		fmt.Fprintf(&b, "--- %s ---\n%s\n", filepath.Base(f), data)
	}
	return b.String()
}

// newUserEnv is the environment of a new user's shell: the system's paths
// and the Go and pyenv settings that find the toolchains, but none of the
// test's AWS or openproton settings, and no AWS configuration files.
func newUserEnv() []string {
	keep := regexp.MustCompile(`^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_[A-Z]+|TMPDIR|GO[A-Z0-9]*|CGO_[A-Z]+|PYENV_[A-Z_]+)=`)
	var env []string
	for _, kv := range os.Environ() {
		if keep.MatchString(kv) {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
}

// copyTree copies the repository's files to dst, as a fresh clone would
// have them: without .git, state (openproton-data), installed packages, and
// what following the pages leaves in the root (the binary, bundles, logs),
// so that a step removed from the pages cannot be made up for by what an
// earlier run left.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	skipAnywhere := map[string]bool{".git": true, "openproton-data": true, "node_modules": true}
	skipAtRoot := map[string]bool{"openproton": true, "bundles": true, "openproton.log": true, "moto.log": true}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && (skipAnywhere[d.Name()] || (filepath.Dir(rel) == "." && skipAtRoot[rel])) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
		return nil // symbolic links and the like are not part of the tree
	})
	if err != nil {
		t.Fatalf("copy the repository: %v", err)
	}
}

// stopGroup stops every process of the shell's process group: SIGTERM, then
// SIGKILL for what is still there after 15 s.
func stopGroup(t *testing.T, pgid int) {
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		return // nothing is left
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if !groupRunning(pgid) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("processes of the shell's group were still running 15 s after SIGTERM; killing them")
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// groupRunning reports whether a process of group pgid still runs. Zombies
// do not count: a process that has exited waits in the group until whoever
// adopted it reaps it, which is not this test.
func groupRunning(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // it ended meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(data), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(data[i+1:]))
		if len(fields) < 3 || fields[0] == "Z" {
			continue
		}
		if g, err := strconv.Atoi(fields[2]); err == nil && g == pgid {
			return true
		}
	}
	return false
}
