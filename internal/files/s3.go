package files

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// S3API is the part of the S3 client the store and the links call.
type S3API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
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

// Links signs download links to error files, and reads their issues a
// page at a time (Issues).
type Links struct {
	presign *s3.PresignClient
	s3      S3API
	bucket  string
}

// NewLinks signs links to objects of bucket and reads them with client.
// The signing credentials are the function's role session, which
// outlives the 15-minute links.
func NewLinks(presign *s3.PresignClient, client S3API, bucket string) *Links {
	return &Links{presign: presign, s3: client, bucket: bucket}
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

// Put writes a run's error file, and its issues as JSON lines for the
// console (Links.Issues), and returns the CSV's key. Writing them again (a
// replayed run) replaces them with the same content.
func (s *Store) Put(ctx context.Context, tenant, runID string, issues []engine.Issue) (string, error) {
	lines, warningsAt, err := encodeIssues(issues)
	if err != nil {
		return "", fmt.Errorf("encode issues: %w", err)
	}
	err = s.put(ctx, IssuesKey(tenant, runID), lines, "application/x-ndjson", "",
		map[string]string{metaFormat: issuesFormat, metaWarningsAt: strconv.FormatInt(warningsAt, 10)})
	if err != nil {
		return "", fmt.Errorf("put the issues of %s: %w", runID, err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, issues); err != nil {
		return "", fmt.Errorf("encode error file: %w", err)
	}
	key := Key(tenant, runID)
	if err := s.put(ctx, key, buf.Bytes(), csvType, "peoplesync-errors-"+runID+".csv", nil); err != nil {
		return "", fmt.Errorf("put error file %s: %w", key, err)
	}
	return key, nil
}

const csvType = "text/csv; charset=utf-8"

// PutExport writes an export's file under key, downloaded as filename.
func (s *Store) PutExport(ctx context.Context, key, filename, contentType string, body []byte) error {
	if err := s.put(ctx, key, body, contentType, filename, nil); err != nil {
		return fmt.Errorf("put export %s: %w", key, err)
	}
	return nil
}

// put writes a file; one with a filename is served by a pre-signed link as
// an attachment of that name.
func (s *Store) put(ctx context.Context, key string, body []byte, contentType, filename string, meta map[string]string) error {
	in := &s3.PutObjectInput{
		Bucket:               &s.bucket,
		Key:                  &key,
		Body:                 bytes.NewReader(body),
		ContentType:          aws.String(contentType),
		Metadata:             meta,
		ServerSideEncryption: types.ServerSideEncryptionAes256,
	}
	if filename != "" {
		in.ContentDisposition = aws.String(`attachment; filename="` + filename + `"`)
	}
	_, err := s.s3.PutObject(ctx, in)
	return err
}
