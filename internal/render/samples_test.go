package render

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/awssamples"
	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/provision"
)

// TestAWSSamples renders every Jinja file of every CloudFormation sample
// template that AWS publishes for Proton (internal/awssamples: environment,
// service instance and pipeline files), each folder as one job the way a
// deployment renders it, with the default limits and the parameter
// namespaces that a deployment would give it: the inputs of the sample's
// own spec (defaults applied by its schema), and as outputs those that the
// emulating engine records from the environment and the instances rendered
// before (provision.CloudFormationOutputs: placeholders for what only
// CloudFormation could know). Each must render to YAML and, when cfn-lint
// is installed, pass it; each must render within a quarter of the default
// memory and a tenth of the default time, so that the defaults leave room
// for templates larger than AWS's own.
func TestAWSSamples(t *testing.T) {
	templates, err := awssamples.Templates(awssamples.CloudFormation)
	if err != nil {
		t.Fatal(err)
	}
	r := NewIsolated(Limits{Time: time.Minute}) // time enough in race builds too
	s := &sampleRun{t: t, r: r, envOutputs: map[string]Outputs{}}
	envs, services := awssamples.Of(templates, awssamples.Environment), awssamples.Of(templates, awssamples.Service)
	// Environments first: services read their outputs.
	s.each(envs, s.environment)
	s.each(services, s.service)
	if len(s.rendered) != 40 {
		t.Errorf("rendered %d files, want the 40 Jinja files of the samples (6 environments, 17 service instances, 17 pipelines)", len(s.rendered))
	}
	t.Logf("%d jobs, %d files rendered; largest peak resident memory %.1f MiB, slowest job %s", s.jobs, len(s.rendered), float64(s.peak)/(1<<20), s.slowest.Round(time.Millisecond))
	s.lint()
	if !figuresHold {
		return
	}
	if s.peak == 0 || s.peak > DefaultMemory/4 {
		t.Errorf("peak memory of a sample rendering %d bytes, want some and at most a quarter of the default limit (%d)", s.peak, DefaultMemory/4)
	}
	if s.slowest > DefaultTime/10 {
		t.Errorf("slowest sample rendering %s, want at most a tenth of the default limit (%s)", s.slowest, DefaultTime)
	}
}

// figuresHold is false in race builds: their rendering processes carry
// the race detector's shadow memory and run many times slower, so the
// figures that the defaults are chosen by are those of a normal build.
const figuresHold = !raceEnabled

// sampleRun renders the samples and keeps what it rendered.
type sampleRun struct {
	t          *testing.T
	r          *Isolated
	mu         sync.Mutex
	envOutputs map[string]Outputs // by environment template name
	rendered   map[string]string  // by the file's path in the repository
	jobs       int
	peak       int64
	slowest    time.Duration
}

// each runs do for every template: one at a time when the figures hold,
// so that each job's time is its own, else all at once.
func (s *sampleRun) each(templates []awssamples.Template, do func(awssamples.Template)) {
	var wg sync.WaitGroup
	for _, tpl := range templates {
		if figuresHold {
			do(tpl)
		} else {
			wg.Go(func() { do(tpl) })
		}
	}
	wg.Wait()
}

// environment renders an environment template with its sample spec and
// keeps the outputs the emulating engine records from it.
func (s *sampleRun) environment(tpl awssamples.Template) {
	b := s.read(tpl, bundle.KindEnvironment)
	if b == nil {
		return
	}
	inputs, err := b.Schema.ValidateEnvironmentSpec(tpl.Spec, nil)
	if err != nil {
		s.t.Errorf("%s: its sample spec %s: %v", tpl.Path, tpl.SpecPath, err)
		return
	}
	data := map[string]any{"environment": map[string]any{"name": tpl.Name, "inputs": inputs}}
	out := s.render(tpl, b.Infrastructure, data)
	s.mu.Lock()
	s.envOutputs[tpl.Name] = s.outputs(tpl, b.Infrastructure, out)
	s.mu.Unlock()
}

// service renders a service template's instance file for each instance of
// its sample spec, in an environment of the first compatible environment
// template, then its pipeline file with those instances.
func (s *sampleRun) service(tpl awssamples.Template) {
	b := s.read(tpl, bundle.KindService)
	if b == nil {
		return
	}
	spec := tpl.Spec
	if spec == "" {
		// The repository gives none: an instance with the schema's defaults.
		spec = "proton: ServiceSpec\ninstances:\n  - name: sample\n    environment: sample\n"
		if b.Schema.HasPipeline() {
			spec += "pipeline: {}\n"
		}
	}
	// Every sample spec is accepted: lambda-multi-svc's gives the pipeline
	// an input, packaging_commands, that its schema does not declare, which
	// AWS took, and so does openproton (docs/bundles.md).
	svc, err := b.Schema.ValidateServiceSpec(spec)
	if err != nil {
		s.t.Errorf("%s: its sample spec %s: %v", tpl.Path, tpl.SpecPath, err)
		return
	}
	s.mu.Lock()
	envOutputs := s.envOutputs[tpl.Compatible[0].Name]
	s.mu.Unlock()
	service := map[string]any{"name": tpl.Name, "branch_name": "main", "repository_id": "my-org/" + tpl.Name,
		"repository_connection_arn": "arn:aws:codestar-connections:us-east-1:111111111111:connection/sample"}
	var instances []any
	for _, in := range svc.Instances {
		env := map[string]any{"name": in.Environment, "account_id": "111111111111", "outputs": envOutputs}
		data := map[string]any{"environment": env, "service": service, "service_instance": map[string]any{"name": in.Name,
			"inputs": in.Inputs, "environment": env, "components": map[string]any{"default": NoComponent()}}}
		out := s.render(tpl, b.Infrastructure, data)
		instances = append(instances, map[string]any{"name": in.Name, "inputs": in.Inputs, "environment": env,
			"outputs": s.outputs(tpl, b.Infrastructure, out)})
	}
	if b.Pipeline != nil {
		s.render(tpl, b.Pipeline, map[string]any{"service": service, "pipeline": map[string]any{"inputs": svc.Pipeline},
			"service_instances": instances})
	}
}

// read reads a template's bundle as registration would.
func (s *sampleRun) read(tpl awssamples.Template, kind bundle.Kind) *bundle.Bundle {
	data, err := tpl.Bundle()
	if err != nil {
		s.t.Fatal(err)
	}
	b, err := bundle.Read(data, bundle.ReadOptions{Kind: kind, NoPipeline: kind == bundle.KindService && !tpl.HasPipeline()})
	if err != nil {
		s.t.Errorf("%s: the bundle does not register: %v", tpl.Path, err)
		return nil
	}
	return b
}

// render renders the Jinja file of manifest m with data, checks that it
// renders to YAML and returns what it rendered ("" when it did not).
func (s *sampleRun) render(tpl awssamples.Template, m *bundle.Manifest, data map[string]any) string {
	file := m.Dir + "/" + m.Templates[0].File
	job := Job{Files: []File{{Name: file, Source: string(tpl.Files[file])}}, Data: data}
	start := time.Now()
	res, err := s.r.Render(context.Background(), job)
	took := time.Since(start)
	if err != nil {
		s.t.Errorf("%s: %v", tpl.Path, err)
		return ""
	}
	out := res.Outputs[0]
	if err := bundle.RenderedYAML(file, out); err != nil {
		s.t.Errorf("%s: %v", tpl.Path, err)
	}
	if strings.Contains(out, "{{") || strings.Contains(out, "{%") {
		s.t.Errorf("%s: %s still holds template syntax", tpl.Path, file)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rendered == nil {
		s.rendered = map[string]string{}
	}
	name := tpl.Path + "/v1/" + file
	if _, again := s.rendered[name]; again {
		name += fmt.Sprintf("#%d", len(s.rendered))
	}
	s.rendered[name] = out
	s.jobs++
	s.peak, s.slowest = max(s.peak, res.PeakMemory), max(s.slowest, took)
	return out
}

// outputs are the outputs the emulating engine records from a rendered
// file.
func (s *sampleRun) outputs(tpl awssamples.Template, m *bundle.Manifest, rendered string) Outputs {
	outs, err := provision.CloudFormationOutputs(rendered, provision.Stack{Account: "111111111111", Region: "us-east-1"})
	if err != nil {
		s.t.Errorf("%s: %s: %v", tpl.Path, m.Dir, err)
	}
	o := Outputs{}
	for _, x := range outs {
		o[x.Key] = x.Value
	}
	return o
}

// cfnLintIgnored are the findings of cfn-lint that have nothing to do with
// rendering, by rule, each with its reason: every other finding of an error
// fails the test, but for one about a value that an emulated output holds
// (an emulated placeholder stands for an id or ARN that only provisioning
// gives, so it cannot match their pattern).
var cfnLintIgnored = map[string]string{
	"E2533": "the samples date from 2023, and their Lambda runtimes (python3.6, nodejs12.x) are deprecated since",
	"E3049": "load-balanced-ecs-ec2-svc maps host port 0 and sets the target group's health check port, which a rule newer than the sample refuses",
}

// lint runs cfn-lint, when it is installed, on every rendered file.
func (s *sampleRun) lint() {
	t := s.t
	linter, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Log("cfn-lint is not installed; the rendered files were checked as YAML only")
		return
	}
	dir := t.TempDir()
	names := make([]string, 0, len(s.rendered))
	for name := range s.rendered {
		names = append(names, name)
	}
	sort.Strings(names)
	var files []string
	for i, name := range names {
		f := filepath.Join(dir, fmt.Sprintf("%02d.yaml", i))
		if err := os.WriteFile(f, []byte(s.rendered[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	args := []string{"--format", "parseable", "--ignore-checks"}
	for rule := range cfnLintIgnored {
		args = append(args, rule)
	}
	// The file names follow "--": --ignore-checks takes every word after it.
	out, _ := exec.Command(linter, append(append(args, "--"), files...)...).CombinedOutput()
	findings := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m := lintLine.FindStringSubmatch(line)
		if m == nil {
			if line != "" {
				t.Errorf("cfn-lint: %s", line)
			}
			continue
		}
		var i int
		fmt.Sscanf(filepath.Base(m[1]), "%02d.yaml", &i)
		if strings.HasPrefix(m[3], "E") && !strings.Contains(m[4], "'emulated:") {
			findings++
			t.Errorf("cfn-lint: %s line %s: %s %s", names[i], m[2], m[3], m[4])
		}
	}
	t.Logf("cfn-lint checked %d rendered files: %d errors", len(files), findings)

}

// lintLine is a finding of cfn-lint --format parseable:
// FILE:LINE:COLUMN:ENDLINE:ENDCOLUMN:RULE:MESSAGE.
var lintLine = regexp.MustCompile(`^(.*?\.yaml):(\d+):\d+:\d+:\d+:([EWI]\d+):(.*)$`)
