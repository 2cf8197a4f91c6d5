package bundle

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// defaultS3Region is used when the standard chain names no region.
const defaultS3Region = "us-east-1"

// NewS3Source returns a Source reading objects with the AWS SDK's S3 client:
// credentials and region from the standard chain (environment, shared files,
// instance roles), us-east-1 when no region is found, the given endpoint when
// not empty (an S3-compatible store such as MinIO) and path-style addressing,
// which every S3-compatible store serves.
func NewS3Source(ctx context.Context, endpoint string) (Source, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("S3 configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultS3Region
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = true
		// Stores that send no checksum would otherwise log a line per fetch.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return s3Source{client: client}, nil
}

type s3Source struct{ client *s3.Client }

func (s s3Source) Fetch(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := checkObjectName(bucket, key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, s3Fault(err, bucket, key)
	}
	defer out.Body.Close()
	if out.ContentLength != nil && *out.ContentLength > MaxBundleBytes {
		return nil, tooLarge(bucket, key)
	}
	return readBounded(out.Body, bucket, key)
}

// s3Fault sorts S3 errors: a missing bucket or key and a refused read are
// the user's to fix; anything else (5xx, network) is transient.
func s3Fault(err error, bucket, key string) error {
	name := objectName(bucket, key)
	var noKey *types.NoSuchKey
	var noBucket *types.NoSuchBucket
	var notFound *types.NotFound
	if errors.As(err, &noKey) || errors.As(err, &notFound) {
		return problemf("%s: the object does not exist", name)
	}
	if errors.As(err, &noBucket) {
		return problemf("%s: the bucket does not exist", name)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return problemf("%s: the object does not exist", name)
		case "NoSuchBucket":
			return problemf("%s: the bucket does not exist", name)
		case "AccessDenied", "AllAccessDisabled", "InvalidObjectState":
			return problemf("%s: the object is not readable (%s)", name, api.ErrorCode())
		}
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		switch resp.HTTPStatusCode() {
		case http.StatusNotFound:
			return problemf("%s: the object does not exist", name)
		case http.StatusForbidden:
			return problemf("%s: the object is not readable", name)
		}
	}
	return fmt.Errorf("fetching %s: %w", name, err)
}
