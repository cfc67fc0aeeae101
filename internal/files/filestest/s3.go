// Package filestest has an in-memory S3 bucket for tests of what reads
// and writes error files.
package filestest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/peoplesync/peoplesync/internal/files"
)

// S3 keeps objects by key, in any bucket, and answers ranged reads as S3
// does: the bytes asked for, cut at the end, the object's size in the
// Content-Range, InvalidRange for a range that starts past the end.
type S3 struct {
	mu      sync.Mutex
	objects map[string]object
	// Gets counts the reads.
	Gets int
}

type object struct {
	body []byte
	meta map[string]string
}

var _ files.S3API = (*S3)(nil)

// New is an empty bucket.
func New() *S3 { return &S3{objects: map[string]object{}} }

// PutObject keeps the object, its metadata names lower-cased as S3 gives
// them back.
func (s *S3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{}
	for k, v := range in.Metadata {
		meta[strings.ToLower(k)] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[*in.Key] = object{body: body, meta: meta}
	return &s3.PutObjectOutput{}, nil
}

// GetObject reads an object, or the range bytes=a-b of it.
func (s *S3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Gets++
	o, ok := s.objects[*in.Key]
	if !ok {
		return nil, &types.NoSuchKey{}
	}
	size := int64(len(o.body))
	from, to := int64(0), size-1
	if in.Range != nil {
		if _, err := fmt.Sscanf(*in.Range, "bytes=%d-%d", &from, &to); err != nil {
			return nil, fmt.Errorf("range %q: %w", *in.Range, err)
		}
		if from >= size {
			return nil, &smithy.GenericAPIError{Code: "InvalidRange", Message: "The requested range is not satisfiable"}
		}
		to = min(to, size-1)
	}
	cr := fmt.Sprintf("bytes %d-%d/%d", from, to, size)
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(o.body[from : to+1])), ContentRange: &cr, Metadata: maps.Clone(o.meta)}, nil
}

// Object is the body kept under key, nil for none.
func (s *S3) Object(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.objects[key].body
}
