package email

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"
)

type fakeSES struct {
	err   error
	calls []time.Time
}

func (f *fakeSES) SendEmail(_ context.Context, in *ses.SendEmailInput, _ ...func(*ses.Options)) (*ses.SendEmailOutput, error) {
	f.calls = append(f.calls, time.Now())
	if f.err != nil {
		return nil, f.err
	}
	id := "id-" + in.Destination.ToAddresses[0]
	return &ses.SendEmailOutput{MessageId: &id}, nil
}

func TestSendSortsFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"ok", nil, nil},
		{"throttled", &smithy.GenericAPIError{Code: "Throttling", Message: "Maximum sending rate exceeded."}, ErrRetryLater},
		{"unavailable", &smithy.GenericAPIError{Code: "ServiceUnavailable"}, ErrRetryLater},
		{"paused", &types.AccountSendingPausedException{}, ErrRetryLater},
		{"rejected", &types.MessageRejected{}, ErrRejected},
		{"unknown", errors.New("connection reset"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSender(&fakeSES{err: tt.err}, "noreply@x.example", "", 1000)
			id, err := s.Send(context.Background(), Message{To: []string{"a@x.example"}, Subject: "s", Text: "t", HTML: "h"})
			switch {
			case tt.err == nil && (err != nil || id != "id-a@x.example"):
				t.Fatalf("send: %q %v", id, err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("err %v, want %v", err, tt.want)
			case tt.err != nil && tt.want == nil && (errors.Is(err, ErrRetryLater) || errors.Is(err, ErrRejected) || err == nil):
				t.Fatalf("an unknown outcome was classified: %v", err)
			}
		})
	}
}

// The limiter spaces sends: at 20/s, 5 sends take at least 4 intervals.
func TestSendRate(t *testing.T) {
	f := &fakeSES{}
	s := NewSender(f, "noreply@x.example", "", 20)
	for range 5 {
		if _, err := s.Send(context.Background(), Message{To: []string{"a@x.example"}}); err != nil {
			t.Fatal(err)
		}
	}
	if gap := f.calls[4].Sub(f.calls[0]); gap < 190*time.Millisecond {
		t.Fatalf("5 sends in %s at 20/s", gap)
	}
}
