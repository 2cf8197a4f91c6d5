package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// startMoto starts moto_server on a free 127.0.0.1 port and returns its
// endpoint. The test fails, never skips, when moto_server is missing.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("moto_server is required for the S3 source test: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	// moto reads AWS settings through botocore; give it none of the test's.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	logPath := filepath.Join(t.TempDir(), "moto.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so cleanup stops moto and any child it has.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			if len(log) > 8000 {
				log = log[len(log)-8000:]
			}
			t.Logf("moto_server log (end):\n%s", log)
		}
	})
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	// moto starts in a second or two; allow much more on a loaded machine.
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return endpoint
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("moto_server exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer at %s: %v", endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// s3Env points the SDK's standard chain at test credentials only.
func s3Env(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		unsetenv(t, k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestS3Source(t *testing.T) {
	s3Env(t)
	endpoint := startMoto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bundles")}); err != nil {
		t.Fatal(err)
	}
	small := envBundle(t)
	large := bytes.Repeat([]byte{7}, MaxBundleBytes+1)
	exact := bytes.Repeat([]byte{8}, MaxBundleBytes)
	for key, body := range map[string][]byte{"env/v1.tgz": small, "large.tgz": large, "exact.tgz": exact} {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bundles"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}

	// No region in the chain: the source falls back to us-east-1.
	src, err := NewS3Source(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Fetch(ctx, "bundles", "env/v1.tgz")
	if err != nil || !bytes.Equal(got, small) {
		t.Fatalf("fetch: %d bytes, %v", len(got), err)
	}
	if _, err := Read(got, ReadOptions{Kind: KindEnvironment}); err != nil {
		t.Fatalf("fetched bundle does not read: %v", err)
	}
	got, err = src.Fetch(ctx, "bundles", "exact.tgz")
	if err != nil || len(got) != MaxBundleBytes {
		t.Fatalf("object of exactly the limit: %d bytes, %v", len(got), err)
	}
	for _, tc := range []struct{ bucket, key, want string }{
		{"bundles", "missing.tgz", "s3://bundles/missing.tgz: the object does not exist"},
		{"no-such-bucket", "x.tgz", "s3://no-such-bucket/x.tgz: the bucket does not exist"},
		{"bundles", "large.tgz", "s3://bundles/large.tgz: bundle object is larger than 5242880 bytes (5 MB)"},
		{"Bad_Bucket", "x", `bucket name "Bad_Bucket" is not a valid S3 bucket name`},
	} {
		data, err := src.Fetch(ctx, tc.bucket, tc.key)
		if data != nil {
			t.Fatalf("%s/%s returned data", tc.bucket, tc.key)
		}
		wantProblem(t, err, tc.want)
	}

	// Nothing listening: a transient error, not the user's problem.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	down, err := NewS3Source(ctx, closed)
	if err != nil {
		t.Fatal(err)
	}
	_, err = down.Fetch(ctx, "bundles", "env/v1.tgz")
	var p *Problem
	if err == nil || errors.As(err, &p) {
		t.Fatalf("unreachable endpoint: want a transient error, got %v", err)
	}
}

// unsetenv removes an environment variable for the test.
func unsetenv(t *testing.T, key string) {
	t.Setenv(key, "") // registers the restore
	os.Unsetenv(key)
}
