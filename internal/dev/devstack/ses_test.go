package devstack

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sesv1 "github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
)

const sender = "noreply@peoplesync.example"

// startSES starts an SES emulator for one test and stops it at the end.
func startSES(t *testing.T) (*SES, *sesv1.Client) {
	t.Helper()
	s, err := StartSES(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s, sesv1.NewFromConfig(AWSConfig(s.Endpoint()))
}

// simpleEmail is a v1 SendEmail request with a text and an HTML body.
func simpleEmail(dest sestypes.Destination, subject string) *sesv1.SendEmailInput {
	return &sesv1.SendEmailInput{
		Source:      aws.String(sender),
		Destination: &dest,
		Message: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(subject), Charset: aws.String("UTF-8")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String("Hello " + subject), Charset: aws.String("UTF-8")},
				Html: &sestypes.Content{Data: aws.String("<p>Hello " + subject + "</p>"), Charset: aws.String("UTF-8")},
			},
		},
	}
}

func TestSES(t *testing.T) {
	ctx := t.Context()
	s, client := startSES(t)
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("endpoint %s", s.Endpoint())
	}

	t.Run("send and read back", func(t *testing.T) {
		before := time.Now().Truncate(time.Second)
		in := simpleEmail(sestypes.Destination{
			ToAddresses:  []string{"admin@tenant.example"},
			CcAddresses:  []string{"cc@tenant.example"},
			BccAddresses: []string{"audit@peoplesync.example"},
		}, "Welcome, Zoë ✓")
		in.ReplyToAddresses = []string{"support@peoplesync.example"}
		out, err := client.SendEmail(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		sent, err := s.Sent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) != 1 {
			t.Fatalf("%d emails kept, want 1: %+v", len(sent), sent)
		}
		got := sent[0]
		want := Email{
			MessageID: aws.ToString(out.MessageId),
			From:      sender,
			ReplyTo:   []string{"support@peoplesync.example"},
			To:        []string{"admin@tenant.example"},
			Cc:        []string{"cc@tenant.example"},
			Bcc:       []string{"audit@peoplesync.example"},
			Subject:   "Welcome, Zoë ✓",
			Text:      "Hello Welcome, Zoë ✓",
			HTML:      "<p>Hello Welcome, Zoë ✓</p>",
			At:        got.At,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("kept\n%+v\nwant\n%+v", got, want)
		}
		if got.MessageID == "" || got.At.Before(before) || got.At.After(time.Now()) {
			t.Errorf("message id %q, at %v (sent after %v)", got.MessageID, got.At, before)
		}
	})

	t.Run("text only", func(t *testing.T) {
		in := simpleEmail(sestypes.Destination{ToAddresses: []string{"a@tenant.example"}}, "text only")
		in.Message.Body.Html = nil
		if _, err := client.SendEmail(ctx, in); err != nil {
			t.Fatal(err)
		}
		sent, err := s.Sent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if last := sent[len(sent)-1]; last.Text != "Hello text only" || last.HTML != "" {
			t.Errorf("text %q, HTML %q", last.Text, last.HTML)
		}
	})

	t.Run("clear", func(t *testing.T) {
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		sent, err := s.Sent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) != 0 {
			t.Errorf("%d emails after Clear", len(sent))
		}
	})

	t.Run("no body", func(t *testing.T) {
		// Refused, as by SES, but with a JSON body where the SDK expects
		// SES's XML error: the SDK reports it as an untyped error.
		in := simpleEmail(sestypes.Destination{ToAddresses: []string{"a@tenant.example"}}, "empty")
		in.Message.Body = &sestypes.Body{}
		if _, err := client.SendEmail(ctx, in); err == nil {
			t.Error("email without a body accepted")
		}
	})

	t.Run("unicode addresses", func(t *testing.T) {
		// SES does not support SMTPUTF8: an address must be 7-bit ASCII,
		// with a non-ASCII domain in Punycode, and it refuses the rest. The
		// emulator checks nothing and keeps the addresses as given, so only
		// our own code and its unit tests can keep addresses legal.
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		to := []string{"zoë@exämple.example", "用户@例子.example"}
		for _, addr := range to {
			if _, err := client.SendEmail(ctx, simpleEmail(sestypes.Destination{ToAddresses: []string{addr}}, "unicode")); err != nil {
				t.Errorf("send to %s: %v", addr, err)
			}
		}
		sent, err := s.Sent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range sent {
			got = append(got, e.To...)
		}
		if strings.Join(got, ",") != strings.Join(to, ",") {
			t.Errorf("kept recipients %q, want %q", got, to)
		}
	})

	t.Run("many recipients", func(t *testing.T) {
		// SES takes at most 50 recipients across To, Cc and Bcc. The
		// emulator takes any number, and its v1 SendEmail keeps only the
		// first address of each list (its request schema names only
		// "...member.1" and drops the other fields), so a test cannot see
		// more than one To, Cc or Bcc recipient of a v1 email.
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{50, 51} {
			var to []string
			for i := range n {
				to = append(to, fmt.Sprintf("user%d@tenant.example", i))
			}
			if _, err := client.SendEmail(ctx, simpleEmail(sestypes.Destination{ToAddresses: to}, "many")); err != nil {
				t.Errorf("send to %d recipients: %v", n, err)
			}
		}
		sent, err := s.Sent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) != 2 {
			t.Fatalf("%d emails kept, want 2", len(sent))
		}
		for _, e := range sent {
			if strings.Join(e.To, ",") != "user0@tenant.example" {
				t.Errorf("kept To %q, want only the first recipient", e.To)
			}
		}
	})

	t.Run("no throttling", func(t *testing.T) {
		// SES throttles beyond the account's sending rate (1 email per
		// second in the sandbox) with a Throttling error; the emulator has
		// no rate limit and no quota, so the throttled path needs a unit
		// test at the sender's seam.
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		const n = 100
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := client.SendEmail(ctx, simpleEmail(sestypes.Destination{ToAddresses: []string{"a@tenant.example"}}, fmt.Sprint(i)))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent send: %v", err)
			}
		}
		sent, err := s.Sent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) != n {
			t.Errorf("%d emails kept, want %d", len(sent), n)
		}
	})
}

func TestSESStop(t *testing.T) {
	s, _ := startSES(t)
	pid := s.cmd.Process.Pid
	logPath := s.LogPath()
	if _, err := os.Stat(logPath); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s.Stop() // idempotent
	if alive(pid) {
		t.Errorf("aws-ses-v2-local pid %d alive after Stop", pid)
	}
	if _, err := os.Stat(logPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("log %s left behind: %v", logPath, err)
	}
	if _, err := s.Sent(t.Context()); err == nil {
		t.Error("Sent answered after Stop")
	}
}

func TestStartSESMissingExecutable(t *testing.T) {
	t.Setenv("SES_SERVER", "/nonexistent/aws-ses-v2-local")
	_, err := StartSES(t.Context())
	if err == nil || !strings.Contains(err.Error(), "SES_SERVER") {
		t.Errorf("error %v", err)
	}
}

// The real emulator, started on a port another process holds, must be
// recognised as having lost the race for it, so that StartSES retries on a
// new port instead of failing.
func TestSESPortTaken(t *testing.T) {
	bin, err := toolPath("SES_SERVER", "node_modules", ".bin", "aws-ses-v2-local")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = startAttempt(t.Context(), sesSpec(bin), t.TempDir(), l.Addr().(*net.TCPAddr).Port)
	if !errors.Is(err, errPortTaken) {
		t.Errorf("error %v, want errPortTaken", err)
	}
}
