package api_test

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// invited stores members of acme, each sent its welcome (token hash
// "h-<id>"), as an import and the mailer would leave them.
func (e *env) invited(t *testing.T, ids ...string) {
	t.Helper()
	ctx := context.Background()
	var ms []engine.Member
	for _, id := range ids {
		ms = append(ms, storetest.NewMember(id, id+"@acme.example"))
	}
	if _, err := e.store.Apply(ctx, "acme", "r-"+ids[0], storetest.Creates(ms...), nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		e.sendWelcome(t, id)
	}
}

func (e *env) sendWelcome(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.store.ClaimWelcome(ctx, "acme", id, "h-"+id+e.clk.Now().String(), e.clk.Now().Add(integration.InviteTTL)); err != nil {
		t.Fatal(err)
	}
	if err := e.store.FinishWelcome(ctx, "acme", id, integration.MailSent, "m"); err != nil {
		t.Fatal(err)
	}
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// One member's invitation is sent again at once, a day apart at most, and
// never to a member who joined or left.
func TestResendOneInvitation(t *testing.T) {
	e := newEnv(t, staff())
	e.invited(t, "E1", "J1", "L1")
	ctx := context.Background()
	if _, err := e.store.RedeemInvite(ctx, "acme", "h-J1"+e.clk.Now().String()); err != nil {
		t.Fatal(err)
	}
	l1, _ := e.store.GetMember(ctx, "acme", "L1")
	closed := storetest.Change(engine.KindClose, l1, func(m *engine.Member) {
		m.Status, m.LeftOn, m.PurgeOn = engine.StatusLeaver, "2026-03-10", "2026-05-09"
	})
	if _, err := e.store.Apply(ctx, "acme", "r2", []engine.Change{closed}, nil); err != nil {
		t.Fatal(err)
	}

	var out map[string]any
	e.call(t, "acme", http.MethodPost, "/members/E1/invitation", "", http.StatusAccepted, &out)
	if out["status"] != "queued" || len(e.mail.sent) != 1 || !reflect.DeepEqual(e.mail.sent[0], integration.MailJob{Kind: integration.MailWelcome, TenantID: "acme", EmployeeID: "E1"}) {
		t.Fatalf("resend: %v, queued %v", out, e.mail.sent)
	}
	e.call(t, "acme", http.MethodPost, "/members/E1/invitation", "", http.StatusConflict, &out)
	if errorCode(out) != "invitation_on_its_way" {
		t.Errorf("resend before the mailer sent the first: %v", out)
	}
	e.sendWelcome(t, "E1")
	e.clk.Add(time.Hour)
	rec := e.call(t, "acme", http.MethodPost, "/members/E1/invitation", "", http.StatusTooManyRequests, &out)
	if after, _ := strconv.Atoi(rec.Header().Get("Retry-After")); errorCode(out) != "resent_recently" || after < 22*3600 || after > 23*3600 {
		t.Errorf("resend an hour later: %v, Retry-After %q", out, rec.Header().Get("Retry-After"))
	}
	e.clk.Add(23 * time.Hour)
	e.call(t, "acme", http.MethodPost, "/members/E1/invitation", "", http.StatusAccepted, nil)

	for _, tc := range []struct {
		id     string
		status int
		code   string
	}{
		{"J1", http.StatusConflict, "member_joined"},
		{"L1", http.StatusConflict, "member_left"},
		{"E9", http.StatusNotFound, "not_found"},
	} {
		e.call(t, "acme", http.MethodPost, "/members/"+tc.id+"/invitation", "", tc.status, &out)
		if errorCode(out) != tc.code {
			t.Errorf("resend to %s: %v, want %s", tc.id, out, tc.code)
		}
	}
	// Another tenant cannot reach acme's members.
	e.call(t, "globex", http.MethodPost, "/members/E1/invitation", "", http.StatusNotFound, nil)
	if len(e.mail.sent) != 2 {
		t.Errorf("%d welcomes queued, want the 2 resends", len(e.mail.sent))
	}
}

// Everyone invited who has not joined gets it again, once; who had one in
// the last day, joined or left is skipped.
func TestResendAllInvitations(t *testing.T) {
	e := newEnv(t, staff())
	var ids []string
	for i := range 150 { // more than a page
		ids = append(ids, "E"+strconv.Itoa(1000+i))
	}
	e.invited(t, ids...)
	if _, err := e.store.RedeemInvite(context.Background(), "acme", "h-E1000"+e.clk.Now().String()); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Resent, Skipped int
		Complete        bool
	}
	e.call(t, "acme", http.MethodPost, "/invitations/resend", "", http.StatusOK, &res)
	if res.Resent != 149 || !res.Complete || len(e.mail.sent) != 149 {
		t.Fatalf("resend all: %+v, %d queued; want 149 resent (one joined)", res, len(e.mail.sent))
	}
	e.call(t, "acme", http.MethodPost, "/invitations/resend", "", http.StatusOK, &res)
	if res.Resent != 0 || res.Skipped != 149 || !res.Complete || len(e.mail.sent) != 149 {
		t.Errorf("again at once: %+v, %d queued; want every invitation skipped", res, len(e.mail.sent))
	}
}
