package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/openproton/openproton/internal/bundle"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/templates"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/worker"
)

// registrationWorkers is how many template registrations one process runs
// at once; fetching a bundle mostly waits on the network.
const registrationWorkers = 2

// registrationPoll is how often an idle process looks for registrations
// that it was not woken for: created on another replica, due for a retry, or
// left by a process that stopped.
const registrationPoll = time.Second

// newTemplates wires the templates family: the service and the loop that
// runs registration jobs, which wakes when a version is created.
func newTemplates(ctx context.Context, cfg Config, st store.Store, pages *pagetoken.Codec, log *slog.Logger) (*templates.Service, *worker.Loop, error) {
	src, err := bundleSource(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	reg := templates.NewRegistrar(st, src, templates.RegistrarOptions{
		Owner: worker.NewOwnerID(), Lease: cfg.RegistrationLease, Delay: cfg.TestRegistrationDelay, Log: log,
	})
	loop := worker.New("template-registration", registrationPoll, log, reg.Runner(st).Step)
	svc := templates.New(st, pages, templates.Options{
		TemplateQuota: cfg.TemplateQuota, VersionQuota: cfg.TemplateVersionQuota, Wake: loop.Wake,
	})
	return svc, loop, nil
}

// bundleSource returns where bundles come from: the S3 endpoint, the bundle
// directory, or the default directory. A directory given explicitly was
// checked with the settings (Config.validateTemplates); the default one is
// not created (a server with a memory store or PostgreSQL should leave no
// files behind), and while a directory is missing registrations fail with a
// message that says where bundles are looked for.
func bundleSource(ctx context.Context, cfg Config) (bundle.Source, error) {
	if cfg.BundleS3Endpoint != "" {
		src, err := bundle.NewS3Source(ctx, cfg.BundleS3Endpoint)
		if err != nil {
			return nil, fmt.Errorf("bundle source: %w", err)
		}
		return src, nil
	}
	dir, flag := cfg.BundleDir, "--bundle-dir"
	if dir == "" {
		dir, flag = DefaultBundleDir, "the default of --bundle-dir"
	}
	return dirSource{dir: dir, flag: flag, src: bundle.DirSource(dir)}, nil
}

// dirSource tells users where a bundle that was not found was looked for.
type dirSource struct {
	dir, flag string
	src       bundle.Source
}

func (d dirSource) Fetch(ctx context.Context, bucket, key string) ([]byte, error) {
	if _, err := os.Stat(d.dir); errors.Is(err, fs.ErrNotExist) {
		return nil, &bundle.Problem{Msg: fmt.Sprintf("s3://%s/%s: the object does not exist: this server reads bundles from the directory %s (%s), which does not exist",
			bucket, key, d.dir, d.flag)}
	}
	data, err := d.src.Fetch(ctx, bucket, key)
	var p *bundle.Problem
	if errors.As(err, &p) && strings.HasSuffix(p.Msg, "does not exist") {
		return nil, &bundle.Problem{Msg: fmt.Sprintf("%s (this server reads s3://BUCKET/KEY from the file %s/BUCKET/KEY)", p.Msg, d.dir)}
	}
	return data, err
}
