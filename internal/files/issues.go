package files

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// A run's issues are also kept as JSON lines next to its CSV, for the
// console to page through. The CSV cannot be read back exactly: a cell
// Defuse quoted and a value that began with a quote read the same. The
// lines hold the errors first, then the warnings, each in the plan's
// order, so a page of either severity is one ranged read from an offset:
// the object's metadata says where the warnings begin.

// issuesFormat is the JSON lines' format version, in the object's metadata.
const issuesFormat = "1"

// The metadata names (S3 lower-cases them).
const (
	metaFormat     = "issues-format"
	metaWarningsAt = "warnings-at"
)

// IssuesKey is where a run's issues are kept as JSON lines.
func IssuesKey(tenant, runID string) string { return "errors/" + tenant + "/" + runID + ".jsonl" }

// issueLine is engine.Issue as stored, by names of its own.
type issueLine struct {
	Row        int             `json:"row"`
	EmployeeID string          `json:"employeeId"`
	Field      string          `json:"field"`
	Message    string          `json:"message"`
	Severity   engine.Severity `json:"severity"`
}

// encodeIssues writes the issues as JSON lines, errors first, and answers
// the offset of the first warning (the length when there is none).
func encodeIssues(issues []engine.Issue) ([]byte, int64, error) {
	sorted := slices.Clone(issues)
	slices.SortStableFunc(sorted, func(a, b engine.Issue) int {
		return bool2int(a.Severity != engine.SeverityError) - bool2int(b.Severity != engine.SeverityError)
	})
	var buf bytes.Buffer
	warningsAt := int64(-1)
	enc := json.NewEncoder(&buf)
	for _, is := range sorted {
		if is.Severity != engine.SeverityError && warningsAt < 0 {
			warningsAt = int64(buf.Len())
		}
		if err := enc.Encode(issueLine(is)); err != nil {
			return nil, 0, err
		}
	}
	if warningsAt < 0 {
		warningsAt = int64(buf.Len())
	}
	return buf.Bytes(), warningsAt, nil
}

func bool2int(b bool) int {
	if b {
		return 1
	}
	return 0
}

// readChunk is how much of the lines one read asks for: a page of 100
// issues is well inside it.
const readChunk = 64 << 10

// Issues reads a page of the run's issues of one severity ("" for both,
// errors first) from cursor ("" for the first page), and the cursor of the
// next page ("" after the last). A cursor is an offset in the run's own
// object: it cannot reach another run's issues. integration.ErrNotFound
// when the run kept none as lines (its CSV only, from before lines were
// kept); integration.ErrBadCursor for a cursor this did not give.
func (l *Links) Issues(ctx context.Context, tenant, runID string, severity engine.Severity, cursor string, limit int) ([]engine.Issue, string, error) {
	pos, err := parseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	key := IssuesKey(tenant, runID)
	obj, err := l.read(ctx, key, pos, readChunk)
	if err != nil {
		return nil, "", err
	}
	lo, hi := int64(0), obj.size
	switch severity {
	case engine.SeverityError:
		hi = obj.warningsAt
	case engine.SeverityWarning:
		lo = obj.warningsAt
	}
	if pos < lo { // the first page of warnings: they start further on
		pos = lo
		if pos < hi {
			if obj, err = l.read(ctx, key, pos, readChunk); err != nil {
				return nil, "", err
			}
		}
	}
	// hi ends a line, so a page that stops short of it has a next.
	var page []engine.Issue
	next := ""
	for n := int64(readChunk); pos < hi; {
		buf, whole := obj.body[:min(int64(len(obj.body)), hi-pos)], false
		for pos < hi && len(page) < limit {
			line, rest, ok := bytes.Cut(buf, []byte("\n"))
			if !ok {
				break // cut off by the read: the next read starts with it
			}
			is, err := decodeLine(line)
			if err != nil {
				return nil, "", fmt.Errorf("read issues %s at %d: %w", key, pos, err)
			}
			page = append(page, is)
			pos += int64(len(line)) + 1
			buf, whole = rest, true
		}
		if len(page) == limit {
			if pos < hi {
				next = formatCursor(pos)
			}
			break
		}
		if !whole {
			if int64(len(obj.body)) >= hi-pos {
				return nil, "", fmt.Errorf("read issues %s at %d: the last line is cut off", key, pos)
			}
			n *= 2 // not one whole line in the read: a long one
		}
		if pos < hi {
			if obj, err = l.read(ctx, key, pos, n); err != nil {
				return nil, "", err
			}
		}
	}
	return page, next, nil
}

func decodeLine(line []byte) (engine.Issue, error) {
	var is issueLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&is); err != nil {
		return engine.Issue{}, err
	}
	return engine.Issue(is), nil
}

// object is part of the issues' object, from the offset asked.
type object struct {
	body             []byte
	size, warningsAt int64
}

// read reads n bytes of key from offset at, checking that at starts a
// line: the byte before it must end one.
func (l *Links) read(ctx context.Context, key string, at, n int64) (object, error) {
	from := max(at-1, 0)
	out, err := l.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &l.bucket, Key: &key,
		Range: ptr(fmt.Sprintf("bytes=%d-%d", from, at+n-1))})
	var nsk *types.NoSuchKey
	var api smithy.APIError
	switch {
	case errors.As(err, &nsk):
		return object{}, fmt.Errorf("read issues %s: %w", key, integration.ErrNotFound)
	case errors.As(err, &api) && api.ErrorCode() == "InvalidRange":
		return object{}, fmt.Errorf("read issues %s from %d: %w", key, at, integration.ErrBadCursor)
	case err != nil:
		return object{}, fmt.Errorf("read issues %s: %w", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		return object{}, fmt.Errorf("read issues %s: %w", key, err)
	}
	obj := object{body: body}
	if out.Metadata[metaFormat] != issuesFormat {
		return object{}, fmt.Errorf("read issues %s: format %q, this build reads %s", key, out.Metadata[metaFormat], issuesFormat)
	}
	if obj.warningsAt, err = strconv.ParseInt(out.Metadata[metaWarningsAt], 10, 64); err != nil {
		return object{}, fmt.Errorf("read issues %s: warnings offset: %w", key, err)
	}
	if obj.size, err = rangeTotal(out.ContentRange); err != nil {
		return object{}, fmt.Errorf("read issues %s: %w", key, err)
	}
	if at > 0 {
		if len(body) == 0 || body[0] != '\n' {
			return object{}, fmt.Errorf("read issues %s from %d: %w", key, at, integration.ErrBadCursor)
		}
		obj.body = body[1:]
	}
	return obj, nil
}

// rangeTotal reads the object's size from a Content-Range ("bytes a-b/size").
func rangeTotal(cr *string) (int64, error) {
	if cr == nil {
		return 0, errors.New("no content range")
	}
	_, total, ok := strings.Cut(*cr, "/")
	n, err := strconv.ParseInt(total, 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("content range %q", *cr)
	}
	return n, nil
}

// Cursors are an offset in the object, opaque to callers.
func formatCursor(pos int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("i1:" + strconv.FormatInt(pos, 10)))
}

func parseCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, integration.ErrBadCursor
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(string(b), "i1:"), 10, 64)
	if err != nil || n <= 0 || !strings.HasPrefix(string(b), "i1:") {
		return 0, integration.ErrBadCursor
	}
	return n, nil
}

func ptr[T any](v T) *T { return &v }
