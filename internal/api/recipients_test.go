package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// Extra summary recipients outside the saving admin's domain are refused,
// each named by its field with the domain allowed, and nothing is saved:
// otherwise any admin could have every import mail strangers (issue 15).
func TestOutsideRecipientsAreRefused(t *testing.T) {
	e := newEnv(t, staff())
	var bad apiError
	e.call(t, "acme", http.MethodPut, "/integration/settings",
		`{"summaryRecipients":["hr@acme.example","victim@elsewhere.example","x@evilacme.example"]}`, http.StatusBadRequest, &bad)
	var fields []string
	for _, d := range bad.Error.Details {
		fields = append(fields, d.Field)
		if !strings.Contains(d.Message, "acme.example") {
			t.Errorf("%s: %q does not name the domain allowed", d.Field, d.Message)
		}
	}
	if got := strings.Join(fields, " "); got != "summaryRecipients[1] summaryRecipients[2]" {
		t.Errorf("problems in %q (%+v)", got, bad)
	}
	if in, err := e.store.GetIntegration(context.Background(), "acme"); err == nil && len(in.Settings.SummaryRecipients) > 0 {
		t.Errorf("saved %v", in.Settings.SummaryRecipients)
	}
}
