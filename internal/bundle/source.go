package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"syscall"
)

// Source fetches bundle objects. Fetch returns a *Problem when the object is
// absent, not readable or larger than MaxBundleBytes (at most
// MaxBundleBytes+1 bytes are read); any other error is transient (network,
// S3 5xx) and the caller retries later.
type Source interface {
	Fetch(ctx context.Context, bucket, key string) ([]byte, error)
}

// bucketPattern is the service model's S3Bucket pattern (3 to 63 characters).
var bucketPattern = regexp.MustCompile(`^[a-z0-9]+[a-z0-9-\.]+[a-z0-9]+$`)

const maxKeyBytes = 1024

func checkObjectName(bucket, key string) error {
	if len(bucket) < 3 || len(bucket) > 63 || !bucketPattern.MatchString(bucket) {
		return problemf("bucket name %q is not a valid S3 bucket name", bucket)
	}
	if key == "" || len(key) > maxKeyBytes {
		return problemf("object key must be 1 to %d bytes", maxKeyBytes)
	}
	return nil
}

func objectName(bucket, key string) string { return "s3://" + bucket + "/" + key }

func tooLarge(bucket, key string) *Problem {
	return problemf("%s: bundle object is larger than %d bytes (5 MB)", objectName(bucket, key), MaxBundleBytes)
}

// readBounded reads r to its end, failing with a Problem past MaxBundleBytes.
func readBounded(r io.Reader, bucket, key string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBundleBytes {
		return nil, tooLarge(bucket, key)
	}
	return data, nil
}

// DirSource serves bucket/key from dir/bucket/key, for servers without S3
// and for tests. It never reads outside dir: keys that are absolute or hold
// "." or ".." segments are refused, and the file is opened through an
// os.Root, which refuses any symbolic link leading out of dir.
func DirSource(dir string) Source { return dirSource{dir: dir} }

type dirSource struct{ dir string }

func (d dirSource) Fetch(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := checkObjectName(bucket, key); err != nil {
		return nil, err
	}
	if strings.HasPrefix(key, "/") || strings.ContainsRune(key, 0) || strings.Contains(key, `\`) {
		return nil, problemf("%s: object key is not a relative path", objectName(bucket, key))
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return nil, problemf("%s: object key has an empty, . or .. segment", objectName(bucket, key))
		}
	}
	root, err := os.OpenRoot(d.dir)
	if err != nil {
		return nil, fmt.Errorf("bundle directory: %w", err)
	}
	defer root.Close()
	file, err := root.Open(bucket + "/" + key)
	if err != nil {
		return nil, d.openFault(err, bucket, key)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, problemf("%s: the object does not exist", objectName(bucket, key))
	}
	if info.Size() > MaxBundleBytes {
		return nil, tooLarge(bucket, key)
	}
	return readBounded(file, bucket, key)
}

// openFault sorts open errors into the user's (absent, escaping, not
// readable) and the server's.
func (d dirSource) openFault(err error, bucket, key string) error {
	name := objectName(bucket, key)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ELOOP):
		return problemf("%s: the object does not exist", name)
	case errors.Is(err, fs.ErrPermission):
		return problemf("%s: the object is not readable", name)
	case strings.Contains(err.Error(), "path escapes from parent"):
		// os.Root's refusal of a link that leads outside the directory.
		return problemf("%s: the object does not exist", name)
	}
	return err
}
