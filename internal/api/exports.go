package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/files"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Exports are produced by the request that asks for one, up to
// exportMaxRows rows and within exportBudget (API Gateway answers in 30 s):
// the record's progress is saved as it goes, so the console, polling GET
// /exports, shows it; the answer carries the link. See the README's
// exports section for why not a queue.
const (
	exportMaxRows = 100_000
	exportBudget  = 25 * time.Second
	// exportProgressRows spaces progress saves: a 100k export saves its
	// record 20 times, not 100k.
	exportProgressRows = 5_000
	// exportLinkTTL is how long a download link works: minutes, for the
	// download that follows the click.
	exportLinkTTL = 5 * time.Minute
)

var errExportTooLarge = &Error{Status: http.StatusUnprocessableEntity, Code: "export_too_large",
	Message: fmt.Sprintf("This export would have more than %d rows, more than can be written at once: for the log, choose a shorter period.", exportMaxRows)}

// maxLogPeriod is the longest period a log export covers: the log is kept
// as long (integration.LogRetention).
const maxLogPeriod = 400

var errExportsOff = &Error{Status: http.StatusServiceUnavailable, Code: "exports_off", Message: "Exports are not set up on this service."}

// exportView is an export as the API shows it; URL is set once it is done,
// a fresh link each time it is read.
type exportView struct {
	ExportID      string                   `json:"exportId"`
	Kind          integration.ExportKind   `json:"kind"`
	Format        integration.ExportFormat `json:"format"`
	From          string                   `json:"from,omitempty"`
	To            string                   `json:"to,omitempty"`
	Status        integration.ExportStatus `json:"status"`
	Rows          int                      `json:"rows"`
	Total         int                      `json:"total"`
	RequestedBy   string                   `json:"requestedBy"`
	CreatedAt     time.Time                `json:"createdAt"`
	FinishedAt    *time.Time               `json:"finishedAt"`
	ExpiresAt     time.Time                `json:"expiresAt"`
	FailureReason string                   `json:"failureReason"`
	URL           string                   `json:"url,omitempty"`
	URLExpiresAt  *time.Time               `json:"urlExpiresAt,omitempty"`
}

func (s *Server) viewExport(ctx context.Context, x *integration.Export) (exportView, error) {
	v := exportView{
		ExportID: x.ExportID, Kind: x.Kind, Format: x.Format, From: x.From, To: x.To, Status: x.Status, Rows: x.Rows, Total: x.Total, RequestedBy: x.RequestedBy,
		CreatedAt: x.CreatedAt.UTC(), FinishedAt: utc(x.FinishedAt), ExpiresAt: x.CreatedAt.Add(integration.ExportRetention).UTC(),
		FailureReason: x.FailureReason,
	}
	if x.Status != integration.ExportDone {
		return v, nil
	}
	url, err := s.links.Presign(ctx, x.FileKey, exportLinkTTL)
	if err != nil {
		return v, err
	}
	v.URL, v.URLExpiresAt = url, utc(s.now().Add(exportLinkTTL))
	return v, nil
}

// expired reports whether an export's file is gone, or about to be: the
// table's TTL removes the record up to days late, so the API does not
// wait for it.
func (s *Server) expired(x *integration.Export) bool {
	return !s.now().Before(x.CreatedAt.Add(integration.ExportRetention))
}

func (s *Server) createExport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var body exportBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	if s.exports == nil {
		return errExportsOff
	}
	ctx, cancel := context.WithTimeout(r.Context(), exportBudget)
	defer cancel()
	now := s.now().UTC()
	x := &integration.Export{TenantID: p.TenantID, ExportID: integration.NewRunID(now), Kind: body.Kind, Format: body.Format,
		From: body.From, To: body.To, Status: integration.ExportRunning, RequestedBy: p.Email, CreatedAt: now}
	if err := s.store.SaveExport(ctx, x); err != nil {
		return err
	}
	s.audit(ctx, p, integration.AuditExportRequested, exportDetail(x))
	if err := s.produce(ctx, p, x); err != nil {
		return s.failExport(r.Context(), x, err)
	}
	v, err := s.viewExport(ctx, x)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// exportBody is what POST /exports takes.
type exportBody struct {
	Kind   integration.ExportKind   `json:"kind"`
	Format integration.ExportFormat `json:"format"`
	From   string                   `json:"from"`
	To     string                   `json:"to"`
}

// check defaults the format to CSV and refuses what cannot be exported:
// JSON lines is for the log, whose period is two days in order at most
// maxLogPeriod days apart.
func (b *exportBody) check() error {
	if b.Format == "" {
		b.Format = integration.FormatCSV
	}
	if !slices.Contains(integration.ExportKinds(), b.Kind) {
		return invalid("kind must be members, audit or log.", FieldProblem{"kind", "members|audit|log"})
	}
	if b.Format != integration.FormatCSV && (b.Kind != integration.ExportLog || b.Format != integration.FormatJSONLines) {
		return invalid("format must be csv, or jsonl for the log.", FieldProblem{"format", "csv|jsonl"})
	}
	if b.Kind != integration.ExportLog {
		if b.From != "" || b.To != "" {
			return invalid("Only the log is exported for a period.", FieldProblem{"from", "log only"})
		}
		return nil
	}
	from, ferr := time.Parse(time.DateOnly, b.From)
	to, terr := time.Parse(time.DateOnly, b.To)
	switch {
	case ferr != nil:
		return invalid("from must be a day, yyyy-MM-dd.", FieldProblem{"from", "yyyy-MM-dd"})
	case terr != nil:
		return invalid("to must be a day, yyyy-MM-dd.", FieldProblem{"to", "yyyy-MM-dd"})
	case to.Before(from):
		return invalid("The period ends before it starts.", FieldProblem{"to", "on or after from"})
	case to.Sub(from) >= maxLogPeriod*24*time.Hour:
		return invalid(fmt.Sprintf("A period is at most %d days: the log is kept as long.", maxLogPeriod), FieldProblem{"to", "within 400 days of from"})
	}
	return nil
}

func exportDetail(x *integration.Export) string {
	what := fmt.Sprintf("%s (%s)", x.Kind, map[integration.ExportFormat]string{integration.FormatCSV: "CSV", integration.FormatJSONLines: "JSON lines"}[x.Format])
	if x.Kind == integration.ExportLog {
		what += fmt.Sprintf(" of %s to %s", x.From, x.To)
	}
	return what + ", export " + x.ExportID
}

// produce writes the export's file and records it done.
func (s *Server) produce(ctx context.Context, p auth.Principal, x *integration.Export) error {
	var buf bytes.Buffer
	saved := 0
	progress := func(n int) {
		if n-saved < exportProgressRows {
			return
		}
		saved, x.Rows = n, n
		if err := s.store.SaveExport(ctx, x); err != nil {
			// Progress only: the export goes on, and its end is saved.
			s.log.WarnContext(ctx, "export progress not saved", "tenantId", x.TenantID, "exportId", x.ExportID, "error", err)
		}
	}
	started := func(total int) error {
		if total > exportMaxRows {
			return errExportTooLarge
		}
		x.Total = total
		return s.store.SaveExport(ctx, x)
	}
	in, err := s.loadIntegration(ctx, p) // the mapping and the zone; defaults before the setup
	if err != nil {
		return err
	}
	if err := s.writeExport(ctx, &buf, in, x, started, progress); err != nil {
		return err
	}
	ext, contentType := "csv", "text/csv; charset=utf-8"
	if x.Format == integration.FormatJSONLines {
		ext, contentType = "jsonl", "application/x-ndjson; charset=utf-8"
	}
	key := files.ExportKey(x.TenantID, x.ExportID, ext)
	filename := fmt.Sprintf("peoplesync-%s-%s.%s", x.Kind, x.CreatedAt.Format("2006-01-02-150405"), ext)
	if err := s.exports.PutExport(ctx, key, filename, contentType, buf.Bytes()); err != nil {
		return err
	}
	x.Status, x.Rows, x.FileKey, x.FinishedAt = integration.ExportDone, x.Total, key, s.now().UTC()
	return s.store.SaveExport(ctx, x)
}

// writeExport reads what the export holds, says how many rows it has, and
// writes them in the export's format.
func (s *Server) writeExport(ctx context.Context, buf *bytes.Buffer, in *integration.Integration, x *integration.Export, started func(int) error, progress func(int)) error {
	switch x.Kind {
	case integration.ExportMembers:
		members, err := s.store.Members(ctx, x.TenantID)
		if err != nil {
			return err
		}
		if err := started(len(members)); err != nil {
			return err
		}
		return files.WriteMembers(buf, in.Mapping, members, progress)
	case integration.ExportLog:
		from, to, err := period(in.Settings.TimeZone, x)
		if err != nil {
			return err
		}
		entries, err := s.store.LogOfPeriod(ctx, x.TenantID, from, to, exportMaxRows)
		if err != nil {
			return err
		}
		if x.Format == integration.FormatJSONLines {
			if err := started(len(entries)); err != nil {
				return err
			}
			return files.WriteLogJSONLines(buf, entries, progress)
		}
		if err := started(files.LogRows(entries)); err != nil {
			return err
		}
		return files.WriteLogCSV(buf, entries, progress)
	default:
		entries, err := s.wholeTrail(ctx, x.TenantID)
		if err != nil {
			return err
		}
		if err := started(len(entries)); err != nil {
			return err
		}
		return files.WriteAudit(buf, entries, progress)
	}
}

// period is a log export's days as instants: from the first day's start
// to the last day's end, in the tenant's zone.
func period(tz string, x *integration.Export) (time.Time, time.Time, error) {
	zone, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("the tenant's zone %q: %w", tz, err)
	}
	from, err := time.ParseInLocation(time.DateOnly, x.From, zone)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := time.ParseInLocation(time.DateOnly, x.To, zone)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return from, to.AddDate(0, 0, 1), nil
}

// wholeTrail reads the tenant's audit trail, newest first, up to one entry
// more than an export takes.
func (s *Server) wholeTrail(ctx context.Context, tenant string) ([]integration.AuditEntry, error) {
	var all []integration.AuditEntry
	cursor := ""
	for {
		page, next, err := s.store.AuditTrail(ctx, tenant, cursor, 1000)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" || len(all) > exportMaxRows {
			return all, nil
		}
		cursor = next
	}
}

// failExport records why an export ended without a file and answers it.
func (s *Server) failExport(ctx context.Context, x *integration.Export, cause error) error {
	var shown *Error
	switch {
	case errors.As(cause, &shown):
	case errors.Is(cause, context.DeadlineExceeded):
		shown = &Error{Status: http.StatusServiceUnavailable, Code: "export_timeout", Message: "The export took too long to write: try again in a few minutes."}
	default:
		shown = &Error{Status: http.StatusInternalServerError, Code: "export_failed", Message: "The export could not be written: try again, and quote the request id if it persists."}
		s.log.ErrorContext(ctx, "export failed", "tenantId", x.TenantID, "exportId", x.ExportID, "error", cause)
	}
	x.Status, x.FailureReason, x.FinishedAt = integration.ExportFailed, shown.Message, s.now().UTC()
	if err := s.store.SaveExport(context.WithoutCancel(ctx), x); err != nil {
		return errors.Join(shown, fmt.Errorf("record the failed export: %w", err))
	}
	return shown
}

func (s *Server) listExports(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	xs, next, err := s.store.ListExports(r.Context(), p.TenantID, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := page[exportView]{Items: []exportView{}, NextCursor: next}
	for _, x := range xs {
		if s.expired(x) {
			continue
		}
		v, err := s.viewExport(r.Context(), x)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getExport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("exportId")
	if id == "" || len(id) > 64 {
		return errNotFound
	}
	x, err := s.store.GetExport(r.Context(), p.TenantID, id)
	if err != nil {
		return err
	}
	if s.expired(x) {
		return errNotFound
	}
	v, err := s.viewExport(r.Context(), x)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
