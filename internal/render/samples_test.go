package render

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestAWSSamples renders every Jinja file of the CloudFormation sample
// templates that AWS publishes for Proton (testdata/aws-cfn-samples.tgz,
// unchanged from aws-samples/aws-proton-cloudformation-sample-templates at
// 7780cf7, MIT-0), each infrastructure folder as one job the way a
// deployment renders it, with the default limits and the inputs of the
// samples' own specs. Each must render, and within a quarter of the
// default memory and a tenth of the default time, so that the defaults
// leave room for templates larger than AWS's own.
func TestAWSSamples(t *testing.T) {
	jobs := sampleJobs(t)
	if len(jobs) < 30 {
		t.Fatalf("found %d sample jobs, want the 30 and more of the archive", len(jobs))
	}
	r := NewIsolated(Limits{Time: time.Minute}) // time enough in race builds too
	type outcome struct {
		res  Result
		err  error
		took time.Duration
	}
	outcomes := make([]outcome, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		run := func() {
			start := time.Now()
			res, err := r.Render(t.Context(), j.job)
			outcomes[i] = outcome{res, err, time.Since(start)}
		}
		if figuresHold {
			run() // one at a time, so that each job's time is its own
		} else {
			wg.Go(run)
		}
	}
	wg.Wait()
	var peak int64
	var slowest time.Duration
	files := 0
	for i, j := range jobs {
		res, err := outcomes[i].res, outcomes[i].err
		if err != nil {
			if j.unsupported != "" && strings.Contains(err.Error(), "the filter "+j.unsupported+" is not supported") {
				continue
			}
			t.Errorf("%s: %v", j.dir, err)
			continue
		}
		files += len(res.Outputs)
		for k, out := range res.Outputs {
			if strings.Contains(out, "{{") || strings.Contains(out, "{%") {
				t.Errorf("%s: %s still holds template syntax", j.dir, j.job.Files[k].Name)
			}
		}
		peak, slowest = max(peak, res.PeakMemory), max(slowest, outcomes[i].took)
	}
	t.Logf("%d jobs, %d files rendered; largest peak resident memory %.1f MiB, slowest job %s", len(jobs), files, float64(peak)/(1<<20), slowest.Round(time.Millisecond))
	if !figuresHold {
		return
	}
	if peak == 0 || peak > DefaultMemory/4 {
		t.Errorf("peak memory of a sample rendering %d bytes, want some and at most a quarter of the default limit (%d)", peak, DefaultMemory/4)
	}
	if slowest > DefaultTime/10 {
		t.Errorf("slowest sample rendering %s, want at most a tenth of the default limit (%s)", slowest, DefaultTime)
	}
}

// figuresHold is false in race builds: their rendering processes carry
// the race detector's shadow memory and run many times slower, so the
// figures that the defaults are chosen by are those of a normal build.
const figuresHold = !raceEnabled

type sampleJob struct {
	dir         string
	job         Job
	unsupported string // a Proton filter the job uses that openproton does not provide
}

// sampleJobs reads the archive: a job per infrastructure folder whose
// manifest renders with Jinja, with data from the spec files of the
// sample.
func sampleJobs(t *testing.T) []sampleJob {
	t.Helper()
	f, err := os.Open("../awssamples/testdata/cfn-sample-templates.tgz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = string(b)
		}
	}
	var jobs []sampleJob
	for name, manifest := range files {
		dir, base := path.Split(name)
		if base != "manifest.yaml" || !strings.HasSuffix(strings.TrimSuffix(dir, "/"), "infrastructure") {
			continue
		}
		var m struct {
			Infrastructure struct {
				Templates []struct {
					File            string `yaml:"file"`
					RenderingEngine string `yaml:"rendering_engine"`
				} `yaml:"templates"`
			} `yaml:"infrastructure"`
		}
		if err := yaml.Unmarshal([]byte(manifest), &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		j := sampleJob{dir: dir, job: Job{Data: sampleData(files, dir)}}
		for _, tpl := range m.Infrastructure.Templates {
			if tpl.RenderingEngine != "jinja" {
				continue
			}
			src, ok := files[dir+tpl.File]
			if !ok {
				t.Fatalf("%s names %s, which the archive does not hold", name, tpl.File)
			}
			if strings.Contains(src, "proton_cfn_iam_policy_arns") {
				j.unsupported = "proton_cfn_iam_policy_arns"
			}
			j.job.Files = append(j.job.Files, File{Name: dir + tpl.File, Source: src})
		}
		if len(j.job.Files) > 0 {
			jobs = append(jobs, j)
		}
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].dir < jobs[b].dir })
	return jobs
}

// sampleData builds the variables of a sample's rendering from the spec
// files in its sample folder (the first path element): the environment
// spec's inputs, and the first instance and the pipeline of a service
// spec.
func sampleData(files map[string]string, dir string) map[string]any {
	top := strings.SplitN(dir, "/", 2)[0] + "/"
	// Every output a sample reads, as Proton would provide it.
	outputs := map[string]any{}
	for _, text := range files {
		for _, m := range outputName.FindAllStringSubmatch(text, -1) {
			outputs[m[1]] = "sample-" + strings.ToLower(m[1])
		}
	}
	envInputs, instances, pipeline := map[string]any{}, []any{}, map[string]any{}
	for name, text := range files {
		if !strings.HasPrefix(name, top) || !strings.Contains(name, "spec") || path.Ext(name) != ".yaml" {
			continue
		}
		var s struct {
			Proton    string         `yaml:"proton"`
			Spec      map[string]any `yaml:"spec"`
			Pipeline  map[string]any `yaml:"pipeline"`
			Instances []struct {
				Name string         `yaml:"name"`
				Spec map[string]any `yaml:"spec"`
			} `yaml:"instances"`
		}
		if yaml.Unmarshal([]byte(text), &s) != nil {
			continue
		}
		switch s.Proton {
		case "EnvironmentSpec":
			envInputs = jsonTypes(s.Spec).(map[string]any)
		case "ServiceSpec":
			if s.Pipeline != nil {
				pipeline = jsonTypes(s.Pipeline).(map[string]any)
			}
			for _, in := range s.Instances {
				instances = append(instances, map[string]any{"name": in.Name, "inputs": jsonTypes(orEmpty(in.Spec)),
					"environment": map[string]any{"name": "env", "account_id": "111111111111", "outputs": outputs}, "outputs": outputs})
			}
		}
	}
	if len(instances) == 0 {
		instances = append(instances, map[string]any{"name": "instance", "inputs": map[string]any{},
			"environment": map[string]any{"name": "env", "account_id": "111111111111", "outputs": outputs}, "outputs": outputs})
	}
	return map[string]any{
		"environment": map[string]any{"name": "env", "inputs": envInputs, "outputs": outputs},
		"service": map[string]any{"name": "svc", "branch_name": "main", "repository_id": "org/repo",
			"repository_connection_arn": "arn:aws:codestar-connections:us-east-1:111111111111:connection/x"},
		"service_instance":  instances[0],
		"service_instances": instances,
		"pipeline":          map[string]any{"inputs": pipeline},
	}
}

var outputName = regexp.MustCompile(`\.outputs\.([A-Za-z0-9_]+)`)

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// jsonTypes turns YAML's ints into the int64 that decoded inputs hold.
func jsonTypes(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = jsonTypes(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonTypes(e)
		}
		return out
	}
	return v
}
