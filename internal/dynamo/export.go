package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// A tenant's exports are its own partition, sorted by export id (which
// sorts by time), each expiring integration.ExportRetention after it was
// asked for, as its file does.

func exportPK(tenant string) string { return "T#" + tenant + "#EXPORT" }
func exportSK(id string) string     { return "X#" + id }

const exportFormat = 1

type exportItem struct {
	PK            string                   `json:"PK"`
	SK            string                   `json:"SK"`
	Format        int64                    `json:"fmt"`
	TenantID      string                   `json:"tenantId"`
	ExportID      string                   `json:"exportId"`
	Kind          integration.ExportKind   `json:"kind"`
	FileFormat    integration.ExportFormat `json:"format"`
	From          string                   `json:"from,omitempty"`
	To            string                   `json:"to,omitempty"`
	Status        integration.ExportStatus `json:"status"`
	Rows          int                      `json:"rows"`
	Total         int                      `json:"total"`
	FileKey       string                   `json:"fileKey,omitempty"`
	RequestedBy   string                   `json:"requestedBy"`
	CreatedAt     string                   `json:"createdAt"`
	FinishedAt    string                   `json:"finishedAt,omitempty"`
	FailureReason string                   `json:"failureReason,omitempty"`
	PurgeAt       int64                    `json:"purgeAt"`
}

func encodeExport(x *integration.Export) (map[string]types.AttributeValue, error) {
	item, err := marshal(exportItem{
		PK: exportPK(x.TenantID), SK: exportSK(x.ExportID), Format: exportFormat,
		TenantID: x.TenantID, ExportID: x.ExportID, Kind: x.Kind, FileFormat: x.Format, From: x.From, To: x.To,
		Status: x.Status, Rows: x.Rows, Total: x.Total, FileKey: x.FileKey, RequestedBy: x.RequestedBy, CreatedAt: formatTime(x.CreatedAt), FinishedAt: formatTime(x.FinishedAt),
		FailureReason: x.FailureReason, PurgeAt: x.CreatedAt.Add(integration.ExportRetention).Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode export: %w", err)
	}
	return item, nil
}

func decodeExport(item map[string]types.AttributeValue) (*integration.Export, error) {
	if err := checkFormat("export "+text(item, "SK"), item, exportFormat); err != nil {
		return nil, err
	}
	var it exportItem
	if err := unmarshal(item, &it); err != nil {
		return nil, fmt.Errorf("decode export: %w", err)
	}
	x := &integration.Export{
		TenantID: it.TenantID, ExportID: it.ExportID, Kind: it.Kind, Format: it.FileFormat, From: it.From, To: it.To,
		Status: it.Status, Rows: it.Rows, Total: it.Total,
		FileKey: it.FileKey, RequestedBy: it.RequestedBy, FailureReason: it.FailureReason,
	}
	if err := parseTimes([]timeAttr{{&x.CreatedAt, it.CreatedAt}, {&x.FinishedAt, it.FinishedAt}}); err != nil {
		return nil, fmt.Errorf("decode export: %w", err)
	}
	return x, nil
}

// SaveExport writes an export's record as it is now: its one writer (the
// request producing it) saves its progress as it goes.
func (s *Store) SaveExport(ctx context.Context, x *integration.Export) error {
	item, err := encodeExport(x)
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("save export %s: %w", x.ExportID, err)
	}
	return nil
}

// GetExport reads one of the tenant's exports, or integration.ErrNotFound.
func (s *Store) GetExport(ctx context.Context, tenant, exportID string) (*integration.Export, error) {
	item, err := s.get(ctx, exportPK(tenant), exportSK(exportID))
	if err != nil {
		return nil, fmt.Errorf("get export %s: %w", exportID, err)
	}
	return decodeExport(item)
}

// ListExports reads the tenant's exports newest first, a page at a time
// (see ListRuns for cursors).
func (s *Store) ListExports(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Export, string, error) {
	var out []*integration.Export
	next, err := s.page(ctx, exportPK(tenant), exportSK(""), "", cursor, limit, false, func(item map[string]types.AttributeValue) error {
		x, err := decodeExport(item)
		if err == nil {
			out = append(out, x)
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list exports: %w", err)
	}
	return out, next, nil
}
