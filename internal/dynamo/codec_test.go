package dynamo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// These tests are pure functions on attribute maps; the package's TestMain
// (store_test.go) starts moto for the store tests all the same.

var update = flag.Bool("update", false, "rewrite testdata/golden from the encoders")

var (
	goldenNow = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	goldenRun = "20260310T090000000000Z-schedule"
)

// goldenMember is a member with every stored attribute set.
func goldenMember() engine.Member {
	m := engine.Member{
		Status: engine.StatusLeaver, LeftOn: "2026-03-09", PurgeOn: "2026-05-08",
		PurgeAt: time.Date(2026, 5, 7, 23, 0, 0, 0, time.UTC), // midnight in London (BST)
		Welcome: engine.WelcomeSent, Accepted: true, Version: 3,
		LastRunID: "20260301T020000000000Z-schedule", LastChange: engine.KindUpdate,
		CreatedAt: time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 3, 1, 2, 0, 5, 123456789, time.UTC),
	}
	m.Values.Set(engine.EmployeeID, "E042")
	m.Values.Set(engine.Email, "zoe.o'neil@example.com")
	m.Values.Set(engine.FirstName, "Zoë")
	m.Values.Set(engine.LastName, "O'Neil <Jr>")
	m.Values.Set(engine.JobTitle, "Analyst")
	m.Values.Set(engine.StartDate, "2024-01-15")
	m.Values.Set(engine.Custom5, "=1+1")
	return m
}

type goldenCase struct {
	kind   string // the golden file's name
	encode func() (map[string]types.AttributeValue, error)
	decode func(map[string]types.AttributeValue) (any, error)
	want   any
	// unversioned is the format an item of this kind without a version
	// was stored in (-1: none was).
	unversioned int
}

func goldenCases() []goldenCase {
	created := goldenMember()
	created.Version, created.LastRunID, created.LastChange = 1, goldenRun, engine.KindCreate
	created.CreatedAt, created.UpdatedAt = goldenNow, goldenNow

	before := goldenMember()
	before.Status, before.LeftOn, before.PurgeOn, before.PurgeAt = engine.StatusActive, "", "", time.Time{}
	closed := engine.Change{Kind: engine.KindClose, Row: 7, Before: &before, After: goldenMember(),
		Fields: []engine.Field{engine.JobTitle, engine.Custom5}}
	newHire := engine.Member{Status: engine.StatusInvited, Welcome: engine.WelcomeScheduled}
	newHire.Values.Set(engine.EmployeeID, "E043")
	newHire.Values.Set(engine.Email, "new@example.com")
	create := engine.Change{Kind: engine.KindCreate, Row: 1, After: newHire,
		Fields: []engine.Field{engine.EmployeeID, engine.Email}}
	expires := goldenNow.Add(heldPlanTTL).Unix()

	run := &integration.Run{
		TenantID: "acme", RunID: goldenRun, Trigger: integration.TriggerSchedule, Status: integration.StatusHeld,
		StartedBy: "admin@acme.example", QueuedAt: goldenNow, StartedAt: goldenNow.Add(2 * time.Second),
		FinishedAt: goldenNow.Add(95*time.Second + 250*time.Millisecond), Phase: integration.PhaseApplying,
		Processed: 120, Total: 130,
		Counts: engine.Counts{Created: 1, Updated: 2, Unchanged: 3, Closed: 4, Reactivated: 5, SkippedLeavers: 6,
			OutOfScope: 7, Errors: 8, Warnings: 9, Total: 45},
		HeldReason: "would close 12 of 100 active members", FailureReason: "PeopleHR was unavailable",
		ErrorFileKey: "errors/acme/" + goldenRun + ".csv", Summary: integration.MailOwed,
		Approves: "20260309T090000000000Z-schedule", Resolution: "approved by admin@acme.example",
		Members: &integration.MemberTotals{Members: 118, Joined: 40, JoinedSinceLast: 3},
		Phases: []integration.PhaseTime{
			{Phase: integration.PhaseFetching, StartedAt: goldenNow.Add(2 * time.Second)},
			{Phase: integration.PhasePlanning, StartedAt: goldenNow.Add(40*time.Second + 500*time.Millisecond)},
			{Phase: integration.PhaseApplying, StartedAt: goldenNow.Add(41 * time.Second)},
		},
	}

	entry := integration.LogEntry{EmployeeID: "E042", RunID: goldenRun, Action: "update", Reason: "changed in PeopleHR",
		At: goldenNow, Changes: []integration.FieldChange{{Field: "jobTitle", Old: "Analyst", New: "Lead"}, {Field: "custom5", New: "x"}}}

	in := &integration.Integration{
		TenantID: "acme", ProgrammeName: "Acme Perks", AdminEmail: "admin@acme.example",
		Settings: integration.Settings{
			Frequency: "weekly", TimeOfDay: "02:30", Weekday: "monday", TimeZone: "Europe/London",
			DateFormat: "dd/MM/yyyy", WelcomeEmail: true, SummaryRecipients: []string{"hr@acme.example"},
			CloseMissingMembers: true, MassChangeThresholdPercent: 15, EmailWhenNothingChanged: true,
			Scope:         []engine.ScopeRule{{Source: "EmploymentType", Op: engine.ScopeNotIn, Values: []string{"Contractor", "Temp"}}},
			WelcomeTiming: integration.WelcomeOnStartDate, InviteReminders: true,
		},
		Mapping: engine.Mapping{UniqueKey: "EmployeeId", Fields: map[string]string{"email": "EmailId", "firstName": "FirstName"}},
		Key: &integration.SealedKey{Ciphertext: []byte("sealed by kms"), Last4: "c0de",
			AddedAt: time.Date(2026, 2, 1, 10, 0, 0, 500, time.UTC)},
		Published: true, State: integration.StateLive,
		NextRunAt: time.Date(2026, 3, 16, 2, 30, 0, 0, time.UTC), DueAt: time.Date(2026, 3, 16, 2, 37, 12, 0, time.UTC),
		InvalidKeyStreak: 1, ReauthNotice: integration.MailSent, Version: 7, UpdatedAt: goldenNow,
	}

	heldChange := func(c engine.Change) goldenCase {
		return goldenCase{
			encode: func() (map[string]types.AttributeValue, error) {
				return heldChangeItem("acme", goldenRun, 0, &c, expires), nil
			},
			decode: func(item map[string]types.AttributeValue) (any, error) { return decodeHeldChange(item) },
			want:   c, unversioned: 0,
		}
	}
	held, heldCreate := heldChange(closed), heldChange(create)
	held.kind, heldCreate.kind = "heldchange", "heldchange-create"
	return []goldenCase{
		{
			kind: "member",
			encode: func() (map[string]types.AttributeValue, error) {
				return memberItem("acme", goldenRun, &created, goldenNow), nil
			},
			decode: func(item map[string]types.AttributeValue) (any, error) { return decodeMember(item) },
			want:   created, unversioned: 1,
		},
		held,
		heldCreate,
		{
			kind:   "run",
			encode: func() (map[string]types.AttributeValue, error) { return encodeRun(run) },
			decode: func(item map[string]types.AttributeValue) (any, error) { return decodeRun(item) },
			want:   run, unversioned: 1,
		},
		{
			kind: "log",
			encode: func() (map[string]types.AttributeValue, error) {
				return encodeLogEntry("acme", &entry, goldenNow.Add(integration.LogRetention).Unix())
			},
			decode: func(item map[string]types.AttributeValue) (any, error) { return decodeLogEntry(item) },
			want:   entry, unversioned: 1,
		},
		{
			kind: "invite",
			encode: func() (map[string]types.AttributeValue, error) {
				return inviteItem("acme", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", goldenInvite), nil
			},
			decode: func(item map[string]types.AttributeValue) (any, error) { return decodeInvite(item) },
			want:   goldenInvite, unversioned: -1,
		},
		{
			kind:   "integration",
			encode: func() (map[string]types.AttributeValue, error) { return encodeIntegration(in) },
			decode: func(item map[string]types.AttributeValue) (any, error) { return decodeIntegration(item) },
			want:   in, unversioned: 1,
		},
		{
			kind:   "audit",
			encode: func() (map[string]types.AttributeValue, error) { return encodeAudit("acme", &goldenAudit) },
			decode: func(item map[string]types.AttributeValue) (any, error) { return decodeAudit(item) },
			want:   goldenAudit, unversioned: -1,
		},
		{
			kind:   "export",
			encode: func() (map[string]types.AttributeValue, error) { return encodeExport(goldenExport) },
			decode: func(item map[string]types.AttributeValue) (any, error) { return decodeExport(item) },
			want:   goldenExport, unversioned: -1,
		},
	}
}

var goldenAudit = integration.AuditEntry{ID: "20260310T090000000000Z-0a1b2c3d", At: goldenNow,
	Actor: "admin@acme.example", Action: integration.AuditExportRequested, Detail: "members (CSV)"}

var goldenExport = &integration.Export{TenantID: "acme", ExportID: "20260310T090000000000Z-0a1b2c3d", Kind: integration.ExportLog,
	Format: integration.FormatJSONLines, From: "2026-03-01", To: "2026-03-09",
	Status: integration.ExportDone, Rows: 118, Total: 118, FileKey: "exports/acme/20260310T090000000000Z-0a1b2c3d.jsonl",
	RequestedBy: "admin@acme.example", CreatedAt: goldenNow, FinishedAt: goldenNow.Add(3 * time.Second), FailureReason: "none"}

var goldenInvite = invite{EmployeeID: "E042", ExpiresAt: goldenNow.Add(integration.InviteTTL)}

func goldenPath(kind string) string { return filepath.Join("testdata", "golden", kind+".json") }

// readGolden parses a golden file back into the item it shows.
func readGolden(t *testing.T, kind string) map[string]types.AttributeValue {
	t.Helper()
	b, err := os.ReadFile(goldenPath(kind))
	if err != nil {
		t.Fatalf("read golden %s: %v (run go test -run TestGoldenItems -update)", kind, err)
	}
	item, err := parseItem(b)
	if err != nil {
		t.Fatalf("parse golden %s: %v", kind, err)
	}
	return item
}

// TestGoldenItems pins what each item kind looks like in the table, and
// that an item written today still reads back the same: a diff here means
// stored items change shape, so bump the kind's format version and keep
// reading the old one before running with -update.
func TestGoldenItems(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.kind, func(t *testing.T) {
			item, err := tc.encode()
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			got, err := renderItem(item)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if *update {
				if err := os.WriteFile(goldenPath(tc.kind), got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(goldenPath(tc.kind))
			if err != nil {
				t.Fatalf("read golden: %v (run go test -run TestGoldenItems -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stored shape of %s changed: bump its format version, keep decoding the old one, then -update.\ngot:\n%s\nwant:\n%s", tc.kind, got, want)
			}
			decoded, err := tc.decode(readGolden(t, tc.kind))
			if err != nil {
				t.Fatalf("decode golden: %v", err)
			}
			if !reflect.DeepEqual(decoded, tc.want) {
				t.Errorf("golden %s decodes as\n%+v\nwant\n%+v", tc.kind, decoded, tc.want)
			}
		})
	}
}

// TestDecodeUnversioned reads items written before formats were versioned:
// real tables hold members, runs, log entries and integrations in format
// 1's shape with no version attribute.
func TestDecodeUnversioned(t *testing.T) {
	for _, tc := range goldenCases() {
		if tc.unversioned != 1 {
			continue
		}
		t.Run(tc.kind, func(t *testing.T) {
			item := readGolden(t, tc.kind)
			delete(item, formatAttr)
			got, err := tc.decode(item)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodes as\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestDecodeMemberOldFormats reads a member as formats 1 and 2 stored it:
// format 2 (member-v2.json) is format 3 without the search keys, format 1
// format 2 without the change index's keys.
func TestDecodeMemberOldFormats(t *testing.T) {
	want := goldenCases()[0]
	for _, tc := range []struct {
		name string
		fmt  types.AttributeValue // nil: unversioned
		v2   bool
	}{
		{"format 2", num(2), true},
		{"format 1", num(1), false},
		{"unversioned", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			item := readGolden(t, "member-v2")
			if !tc.v2 {
				delete(item, changePKAttr)
				delete(item, changeSKAttr)
			}
			delete(item, formatAttr)
			if tc.fmt != nil {
				item[formatAttr] = tc.fmt
			}
			got, err := want.decode(item)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, want.want) {
				t.Errorf("decodes as\n%+v\nwant\n%+v", got, want.want)
			}
		})
	}
}

func TestDecodeUnknownFormat(t *testing.T) {
	versions := []struct {
		attr types.AttributeValue
		want string
	}{
		{&types.AttributeValueMemberN{Value: "7"}, "format 7,"},
		{&types.AttributeValueMemberN{Value: "4"}, "format 4,"}, // the next of any kind's
		{&types.AttributeValueMemberN{Value: "1.5"}, `format version "1.5"`},
		{&types.AttributeValueMemberS{Value: "1"}, "format version is not a number"},
	}
	for _, tc := range goldenCases() {
		for _, v := range versions {
			t.Run(tc.kind+"/"+v.want, func(t *testing.T) {
				item := readGolden(t, tc.kind)
				item[formatAttr] = v.attr
				_, err := tc.decode(item)
				if !errors.Is(err, errUnknownFormat) || !strings.Contains(err.Error(), v.want) {
					t.Fatalf("decode: %v, want an unknown format error naming %q", err, v.want)
				}
			})
		}
	}
}

// oldChange is a held change as format 0 stored it: the default JSON of
// engine.Change, here from before Member had PurgeAt.
const oldChange = `{"Kind":"close","Row":7,` +
	`"Before":{"Values":["E042","zoe@example.com","Zoë","","","","Analyst","","","","","","","","","","","","","x"],` +
	`"Status":"active","LeftOn":"","PurgeOn":"","Welcome":"sent","Accepted":true,"Version":3,` +
	`"LastRunID":"20260301T020000000000Z-schedule","LastChange":"update",` +
	`"CreatedAt":"2026-02-01T03:00:00+01:00","UpdatedAt":"2026-03-01T02:00:05.123+01:00"},` +
	`"After":{"Values":["E042","zoe@example.com","Zoë","","","","Lead","","","","","","","","","","","","","x"],` +
	`"Status":"leaver","LeftOn":"2026-03-09","PurgeOn":"2026-05-08","Welcome":"sent","Accepted":true,"Version":3,` +
	`"LastRunID":"20260301T020000000000Z-schedule","LastChange":"update",` +
	`"CreatedAt":"2026-02-01T02:00:00Z","UpdatedAt":"2026-03-01T02:00:05.123+01:00"},` +
	`"Fields":"BhM="}`

// oldCreate is a format 0 create written once Member had PurgeAt, with a
// value at every position.
const oldCreate = `{"Kind":"create","Row":1,"Before":null,` +
	`"After":{"Values":["E043","new@example.com","Ana","Silva","Annie","Ms","Engineer","R&D","Leeds","Acme Ltd",` +
	`"2026-04-01","1990-02-03","+44 7700 900123","E001","P-77","c1","c2","c3","c4","c5"],` +
	`"Status":"invited","LeftOn":"","PurgeOn":"","PurgeAt":"0001-01-01T00:00:00Z","Welcome":"owed","Accepted":false,` +
	`"Version":0,"LastRunID":"","LastChange":"","CreatedAt":"0001-01-01T00:00:00Z","UpdatedAt":"0001-01-01T00:00:00Z"},` +
	`"Fields":null}`

func oldItem(body string) map[string]types.AttributeValue {
	item := key(planPK("acme", goldenRun), "C#0000000")
	item["change"] = &types.AttributeValueMemberB{Value: []byte(body)}
	item["purgeAt"] = num(goldenNow.Add(heldPlanTTL).Unix())
	return item
}

func TestDecodeHeldChangeFormat0(t *testing.T) {
	member := func(jobTitle string, status engine.Status) engine.Member {
		m := engine.Member{Status: status, Welcome: engine.WelcomeSent, Accepted: true, Version: 3,
			LastRunID: "20260301T020000000000Z-schedule", LastChange: engine.KindUpdate,
			CreatedAt: time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC),
			UpdatedAt: time.Date(2026, 3, 1, 1, 0, 5, 123000000, time.UTC)}
		m.Values.Set(engine.EmployeeID, "E042")
		m.Values.Set(engine.Email, "zoe@example.com")
		m.Values.Set(engine.FirstName, "Zoë")
		m.Values.Set(engine.JobTitle, jobTitle)
		m.Values.Set(engine.Custom5, "x")
		return m
	}
	before, after := member("Analyst", engine.StatusActive), member("Lead", engine.StatusLeaver)
	after.LeftOn, after.PurgeOn = "2026-03-09", "2026-05-08"
	purged := after
	purged.PurgeAt = time.Date(2026, 5, 7, 23, 0, 0, 0, time.UTC)
	newHire := engine.Member{Status: engine.StatusInvited, Welcome: engine.WelcomeOwed, Values: engine.Pack([engine.NumFields]string{
		engine.EmployeeID: "E043", engine.Email: "new@example.com", engine.FirstName: "Ana", engine.LastName: "Silva",
		engine.PreferredName: "Annie", engine.Title: "Ms", engine.JobTitle: "Engineer", engine.Department: "R&D",
		engine.Location: "Leeds", engine.Company: "Acme Ltd", engine.StartDate: "2026-04-01",
		engine.DateOfBirth: "1990-02-03", engine.Mobile: "+44 7700 900123", engine.ManagerEmployeeID: "E001",
		engine.PayrollID: "P-77", engine.Custom1: "c1", engine.Custom2: "c2", engine.Custom3: "c3",
		engine.Custom4: "c4", engine.Custom5: "c5",
	})}
	fields := []engine.Field{engine.JobTitle, engine.Custom5}
	for _, tc := range []struct {
		name, body string
		want       engine.Change
	}{
		{"close before PurgeAt", oldChange, engine.Change{Kind: engine.KindClose, Row: 7, Before: &before, After: after, Fields: fields}},
		{"close with PurgeAt", strings.Replace(oldChange, `"PurgeOn":"2026-05-08",`, `"PurgeOn":"2026-05-08","PurgeAt":"2026-05-08T00:00:00+01:00",`, 1),
			engine.Change{Kind: engine.KindClose, Row: 7, Before: &before, After: purged, Fields: fields}},
		{"create with every field", oldCreate, engine.Change{Kind: engine.KindCreate, Row: 1, After: newHire}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeHeldChange(oldItem(tc.body))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodes as\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestDecodeHeldChangeRefuses: a stored change this build cannot read
// whole is an error, never a change with a value dropped or shifted.
func TestDecodeHeldChangeRefuses(t *testing.T) {
	withAfter := func(edit func(after map[string]types.AttributeValue)) func(*testing.T) map[string]types.AttributeValue {
		return func(t *testing.T) map[string]types.AttributeValue {
			item := readGolden(t, "heldchange")
			edit(item["after"].(*types.AttributeValueMemberM).Value)
			return item
		}
	}
	golden := func(edit func(item map[string]types.AttributeValue)) func(*testing.T) map[string]types.AttributeValue {
		return func(t *testing.T) map[string]types.AttributeValue {
			item := readGolden(t, "heldchange")
			edit(item)
			return item
		}
	}
	old := func(body string) func(*testing.T) map[string]types.AttributeValue {
		return func(*testing.T) map[string]types.AttributeValue { return oldItem(body) }
	}
	for _, tc := range []struct {
		name string
		item func(*testing.T) map[string]types.AttributeValue
		want string
	}{
		{"unknown value name", withAfter(func(a map[string]types.AttributeValue) {
			a["values"].(*types.AttributeValueMemberM).Value["nickname"] = str("Zo")
		}), `after: unknown member field "nickname"`},
		{"value not text", withAfter(func(a map[string]types.AttributeValue) {
			a["values"].(*types.AttributeValueMemberM).Value["email"] = num(1)
		}), `field "email" is not text`},
		{"unknown changed field", golden(func(item map[string]types.AttributeValue) {
			item["fields"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{str("jobTitle"), str("nickname")}}
		}), `fields: unknown member field "nickname"`},
		{"no after", golden(func(item map[string]types.AttributeValue) { delete(item, "after") }), "after: member is missing"},
		{"format 0 with a value short", old(strings.Replace(oldChange, `"Analyst","",`, `"Analyst",`, 1)), "19 values, format 0 has 20"},
		{"format 0 with an unknown key", old(strings.Replace(oldChange, `"Row":7,`, `"Row":7,"Reason":"x",`, 1)), `unknown field "Reason"`},
		{"format 0 field past the end", old(strings.Replace(oldChange, `"BhM="`, `"BhQ="`, 1)), "field position 20, format 0 has 20"},
		{"neither", golden(func(item map[string]types.AttributeValue) { delete(item, formatAttr) }), "no format version and no format 0 body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeHeldChange(tc.item(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decode: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// renderItem writes an item as DynamoDB JSON ({"S": ...}, {"N": ...}),
// keys sorted, so the same item always renders the same bytes.
func renderItem(item map[string]types.AttributeValue) ([]byte, error) {
	m, err := renderMap(item)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func renderMap(item map[string]types.AttributeValue) (map[string]any, error) {
	out := make(map[string]any, len(item))
	for name, av := range item {
		v, err := renderValue(av)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

func renderValue(av types.AttributeValue) (map[string]any, error) {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}, nil
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}, nil
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}, nil
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}, nil
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}, nil
	case *types.AttributeValueMemberM:
		m, err := renderMap(v.Value)
		return map[string]any{"M": m}, err
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			r, err := renderValue(e)
			if err != nil {
				return nil, err
			}
			l[i] = r
		}
		return map[string]any{"L": l}, nil
	}
	return nil, fmt.Errorf("no rendering for %T", av)
}

// parseItem reads back what renderItem wrote.
func parseItem(b []byte) (map[string]types.AttributeValue, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	return parseMap(raw)
}

func parseMap(raw map[string]json.RawMessage) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(raw))
	for name, r := range raw {
		av, err := parseValue(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = av
	}
	return out, nil
}

func parseValue(r json.RawMessage) (types.AttributeValue, error) {
	var tagged map[string]json.RawMessage
	if err := json.Unmarshal(r, &tagged); err != nil {
		return nil, err
	}
	if len(tagged) != 1 {
		return nil, fmt.Errorf("want one type tag, got %d", len(tagged))
	}
	var tag string
	var v json.RawMessage
	for tag, v = range tagged {
	}
	switch tag {
	case "S":
		var s string
		err := json.Unmarshal(v, &s)
		return &types.AttributeValueMemberS{Value: s}, err
	case "N":
		var s string
		err := json.Unmarshal(v, &s)
		return &types.AttributeValueMemberN{Value: s}, err
	case "B":
		var b []byte // base64, as renderValue wrote it
		err := json.Unmarshal(v, &b)
		return &types.AttributeValueMemberB{Value: b}, err
	case "BOOL":
		var b bool
		err := json.Unmarshal(v, &b)
		return &types.AttributeValueMemberBOOL{Value: b}, err
	case "NULL":
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case "M":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, err
		}
		pm, err := parseMap(m)
		return &types.AttributeValueMemberM{Value: pm}, err
	case "L":
		var l []json.RawMessage
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, err
		}
		out := make([]types.AttributeValue, len(l))
		for i, e := range l {
			av, err := parseValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	}
	return nil, fmt.Errorf("unknown type tag %q", tag)
}

// TestRoundTripKeepsEveryField fills every field of each stored domain
// type, so a field added to one and not given a stored name fails here
// instead of being dropped by the store.
func TestRoundTripKeepsEveryField(t *testing.T) {
	for _, tc := range []struct {
		name      string
		value     any // a pointer to the value to fill
		roundTrip func(v any) (any, error)
	}{
		{"change", &engine.Change{}, func(v any) (any, error) {
			c, err := decodeHeldChange(heldChangeItem("acme", goldenRun, 0, v.(*engine.Change), 0))
			// A held plan keeps what a plan writes. When a member was
			// invited, reminded and joined is the mailer's and the
			// platform's, kept on the member item, which an approved
			// update leaves as it is (it writes only what it changes).
			for _, m := range []*engine.Member{c.Before, &c.After} {
				if m != nil {
					want := v.(*engine.Change).After
					m.InvitedAt, m.Reminders, m.JoinedAt = want.InvitedAt, want.Reminders, want.JoinedAt
				}
			}
			return c, err
		}},
		{"run", &integration.Run{}, func(v any) (any, error) {
			item, err := encodeRun(v.(*integration.Run))
			if err != nil {
				return nil, err
			}
			return decodeRun(item)
		}},
		{"log entry", &integration.LogEntry{}, func(v any) (any, error) {
			item, err := encodeLogEntry("acme", v.(*integration.LogEntry), 0)
			if err != nil {
				return nil, err
			}
			e, err := decodeLogEntry(item)
			return &e, err
		}},
		{"integration", &integration.Integration{}, func(v any) (any, error) {
			item, err := encodeIntegration(v.(*integration.Integration))
			if err != nil {
				return nil, err
			}
			return decodeIntegration(item)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fill(t, reflect.ValueOf(tc.value).Elem(), tc.name)
			got, err := tc.roundTrip(tc.value)
			if err != nil {
				t.Fatalf("round trip: %v", err)
			}
			if c, ok := got.(engine.Change); ok {
				got = &c
			}
			if !reflect.DeepEqual(got, tc.value) {
				t.Errorf("round trip gives\n%+v\nwant\n%+v", got, tc.value)
			}
		})
	}
}

// fill sets every field of v to a value that is not its zero.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(goldenNow))
		return
	}
	if v.Type() == reflect.TypeFor[engine.Values]() {
		// Packed: every field its own value.
		var vals [engine.NumFields]string
		for f := range engine.NumFields {
			vals[f] = "x" + f.String()
		}
		v.Set(reflect.ValueOf(engine.Pack(vals)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint8: // an engine.Field
		v.SetUint(uint64(engine.JobTitle))
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), path+"[0]")
	case reflect.Array:
		for i := range v.Len() {
			fill(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, path+" key")
		fill(t, e, path+" value")
		v.SetMapIndex(k, e)
	default:
		t.Fatalf("%s: no value to fill a %s with", path, v.Type())
	}
}

// An integration stored in format 1, before reminders existed, reads as
// it did then, with reminders on (the default they came with).
func TestIntegrationFormat1ReadsWithReminders(t *testing.T) {
	var want *integration.Integration
	for _, tc := range goldenCases() {
		if tc.kind == "integration" {
			want = tc.want.(*integration.Integration)
		}
	}
	got, err := decodeIntegration(readGolden(t, "integration-v1"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || !got.Settings.InviteReminders {
		t.Errorf("format 1 decodes as\n%+v\nwant\n%+v", got, want)
	}
}

// Runs stored in older formats read as they did then: format 1 without
// the directory's totals, format 2 without the phases' times.
func TestRunOlderFormats(t *testing.T) {
	var golden integration.Run
	for _, tc := range goldenCases() {
		if tc.kind == "run" {
			golden = *tc.want.(*integration.Run)
		}
	}
	for _, tc := range []struct {
		file string
		want func(r *integration.Run)
	}{
		{"run-v1", func(r *integration.Run) { r.Members, r.Phases = nil, nil }},
		{"run-v2", func(r *integration.Run) { r.Phases = nil }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			want := golden
			tc.want(&want)
			got, err := decodeRun(readGolden(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("%s decodes as\n%+v\nwant\n%+v", tc.file, *got, want)
			}
		})
	}
}

// A log line stored in format 1, before the period index, reads as it did.
func TestLogFormat1Reads(t *testing.T) {
	var want any
	for _, tc := range goldenCases() {
		if tc.kind == "log" {
			want = tc.want
		}
	}
	got, err := decodeLogEntry(readGolden(t, "log-v1"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("format 1 decodes as\n%+v\nwant\n%+v", got, want)
	}
}
