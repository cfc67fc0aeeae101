package files

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// S3API is the part of the S3 client the store calls.
type S3API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Store keeps error files in one bucket under errors/<tenant>/<run>.csv,
// and exports under exports/<tenant>/<export>.csv, so a tenant prefix
// scopes every object.
type Store struct {
	s3     S3API
	bucket string
}

// NewStore builds a Store on bucket.
func NewStore(client S3API, bucket string) *Store { return &Store{s3: client, bucket: bucket} }

// Links signs download links to error files.
type Links struct {
	presign *s3.PresignClient
	bucket  string
}

// NewLinks signs links to objects of bucket. The signing credentials are
// the function's role session, which outlives the 15-minute links.
func NewLinks(presign *s3.PresignClient, bucket string) *Links {
	return &Links{presign: presign, bucket: bucket}
}

// Presign is a GET link to key, valid for ttl.
func (l *Links) Presign(ctx context.Context, key string, ttl time.Duration) (string, error) {
	req, err := l.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &l.bucket, Key: &key}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return req.URL, nil
}

// Key is where a run's error file lives.
func Key(tenant, runID string) string { return "errors/" + tenant + "/" + runID + ".csv" }

// Put writes a run's error file and returns its key. Writing it again (a
// replayed run) replaces it with the same content.
func (s *Store) Put(ctx context.Context, tenant, runID string, issues []engine.Issue) (string, error) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, issues); err != nil {
		return "", fmt.Errorf("encode error file: %w", err)
	}
	key := Key(tenant, runID)
	if err := s.put(ctx, key, "peoplesync-errors-"+runID+".csv", csvType, buf.Bytes()); err != nil {
		return "", fmt.Errorf("put error file %s: %w", key, err)
	}
	return key, nil
}

const csvType = "text/csv; charset=utf-8"

// PutExport writes an export's file under key, downloaded as filename.
func (s *Store) PutExport(ctx context.Context, key, filename, contentType string, body []byte) error {
	if err := s.put(ctx, key, filename, contentType, body); err != nil {
		return fmt.Errorf("put export %s: %w", key, err)
	}
	return nil
}

// put writes a file that a pre-signed link serves as an attachment.
func (s *Store) put(ctx context.Context, key, filename, contentType string, body []byte) error {
	_, err := s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               &s.bucket,
		Key:                  &key,
		Body:                 bytes.NewReader(body),
		ContentType:          aws.String(contentType),
		ContentDisposition:   aws.String(`attachment; filename="` + filename + `"`),
		ServerSideEncryption: types.ServerSideEncryptionAes256,
	})
	return err
}
