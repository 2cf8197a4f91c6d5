package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// The operations of the environment scenarios and their setup.
const (
	opCreateEnvTemplate = "CreateEnvironmentTemplate"
	opCreateEnvVersion  = "CreateEnvironmentTemplateVersion"
	opGetEnvVersion     = "GetEnvironmentTemplateVersion"
	opUpdateEnvVersion  = "UpdateEnvironmentTemplateVersion"
	opCreateEnvironment = "CreateEnvironment"
	opGetEnvironment    = "GetEnvironment"
	opListEnvironments  = "ListEnvironments"
)

// The environment scenarios' setup: the template and its bundle, the
// emulated deployments' length, and how long and how often to wait for
// them.
const (
	benchEnvTemplate     = "bench-env-template"
	benchBundleBucket    = "bench-bundles"
	benchBundleKey       = "environment.tar.gz"
	benchProvisionDelay  = "10ms"
	benchSetupWait       = 2 * time.Minute
	benchSetupPollPeriod = 50 * time.Millisecond
)

// WriteBundles writes the environment template bundle where a server
// started with --bundle-dir dir reads s3://bench-bundles/environment.tar.gz.
func WriteBundles(dir string) error {
	data, err := bundletest.Build(bundletest.Entries(bundletest.EnvFiles())...)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, benchBundleBucket, benchBundleKey)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// envName is the name of the i-th seeded environment.
func envName(i int) string { return "bench-env-" + strconv.Itoa(i) }

// seedEnvironments registers and publishes the environment template, then
// creates a full page of environments for caller and waits until every one
// is deployed, so that no deployment runs beside the load.
func seedEnvironments(ctx context.Context, c *Conn, caller Key) error {
	if _, err := c.Call(opCreateEnvTemplate, caller, []byte(`{"name":"`+benchEnvTemplate+`"}`)); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	src := `{"templateName":"` + benchEnvTemplate + `","source":{"s3":{"bucket":"` + benchBundleBucket + `","key":"` + benchBundleKey + `"}}}`
	if _, err := c.Call(opCreateEnvVersion, caller, []byte(src)); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	version := `{"templateName":"` + benchEnvTemplate + `","majorVersion":"1","minorVersion":"0"`
	err := poll(ctx, "the template version's registration", func() (bool, error) {
		out, err := c.Call(opGetEnvVersion, caller, []byte(version+"}"))
		if err != nil {
			return false, err
		}
		var v struct {
			EnvironmentTemplateVersion struct {
				Status        string `json:"status"`
				StatusMessage string `json:"statusMessage"`
			} `json:"environmentTemplateVersion"`
		}
		if err := json.Unmarshal(out, &v); err != nil {
			return false, fmt.Errorf("version answer: %w", err)
		}
		switch st := v.EnvironmentTemplateVersion; st.Status {
		case "DRAFT":
			return true, nil
		case "REGISTRATION_IN_PROGRESS":
			return false, nil
		default:
			return false, fmt.Errorf("template version %s: %s", st.Status, st.StatusMessage)
		}
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if _, err := c.Call(opUpdateEnvVersion, caller, []byte(version+`,"status":"PUBLISHED"}`)); err != nil {
		return fmt.Errorf("seed: publish: %w", err)
	}
	role := "arn:aws:iam::" + caller.Account + ":role/bench-proton-role"
	for i := range pageSize {
		body := `{"name":"` + envName(i) + `","templateName":"` + benchEnvTemplate + `","templateMajorVersion":"1",` +
			`"spec":"proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.` + strconv.Itoa(i) + `.0.0/16\"\n",` +
			`"protonServiceRoleArn":"` + role + `"}`
		if _, err := c.Call(opCreateEnvironment, caller, []byte(body)); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	err = poll(ctx, "the environments' deployments", func() (bool, error) {
		envs, err := listEnvironments(c, caller)
		if err != nil {
			return false, err
		}
		done := 0
		for _, e := range envs {
			switch e.DeploymentStatus {
			case "SUCCEEDED":
				done++
			case "FAILED", "CANCELLED":
				return false, fmt.Errorf("environment %s: deployment %s", e.Name, e.DeploymentStatus)
			}
		}
		return done == pageSize, nil
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return nil
}

// poll calls done until it reports true or an error, or the setup's time
// is up.
func poll(ctx context.Context, what string, done func() (bool, error)) error {
	deadline := time.Now().Add(benchSetupWait)
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not end within %s", what, benchSetupWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(benchSetupPollPeriod):
		}
	}
}

// envSummary is what the setup reads of a listed environment.
type envSummary struct {
	Name             string `json:"name"`
	DeploymentStatus string `json:"deploymentStatus"`
}

// envListBody asks for a full page of the caller's environments.
var envListBody = []byte(`{"maxResults":100}`)

// listEnvironments returns the first page of caller's environments.
func listEnvironments(c *Conn, caller Key) ([]envSummary, error) {
	out, err := c.Call(opListEnvironments, caller, envListBody)
	if err != nil {
		return nil, err
	}
	var page struct {
		Environments []envSummary `json:"environments"`
	}
	if err := json.Unmarshal(out, &page); err != nil {
		return nil, fmt.Errorf("list answer: %w", err)
	}
	return page.Environments, nil
}

func prepareEnvGet(ctx context.Context, c *Conn, a Accounts) (func(int) Worker, error) {
	if len(a.Management) == 0 {
		return nil, errors.New("bench: the environment scenarios need a management account")
	}
	caller := a.Management[0]
	if err := seedEnvironments(ctx, c, caller); err != nil {
		return nil, err
	}
	bodies := make([][]byte, pageSize)
	for i := range bodies {
		bodies[i] = []byte(`{"name":"` + envName(i) + `"}`)
	}
	return func(i int) Worker {
		return func(s *Session, n int) error {
			_, err := s.Call(opGetEnvironment, caller, bodies[(i*7+n)%len(bodies)])
			return err
		}
	}, nil
}

func prepareEnvList(ctx context.Context, c *Conn, a Accounts) (func(int) Worker, error) {
	if len(a.Management) == 0 {
		return nil, errors.New("bench: the environment scenarios need a management account")
	}
	caller := a.Management[0]
	if err := seedEnvironments(ctx, c, caller); err != nil {
		return nil, err
	}
	// The deployments' wait above already read a page of 100 deployed
	// environments; read it again so that the check stands on its own.
	envs, err := listEnvironments(c, caller)
	if err != nil {
		return nil, err
	}
	if len(envs) != pageSize {
		return nil, fmt.Errorf("list answered %d environments, want a full page of %d", len(envs), pageSize)
	}
	return func(int) Worker {
		return func(s *Session, _ int) error {
			_, err := s.Call(opListEnvironments, caller, envListBody)
			return err
		}
	}, nil
}
