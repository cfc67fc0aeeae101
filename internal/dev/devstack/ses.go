package devstack

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// SES is an aws-ses-v2-local child process: an SES emulator on one
// 127.0.0.1 endpoint that accepts the v1 (query) SendEmail and SendRawEmail
// and the v2 API, sends nothing, and keeps every accepted email for Sent to
// read back. Endpoint()+"/" is a web page listing the emails, for a person
// running the service locally.
type SES struct {
	*emulator // the process, shared mechanics with moto
}

// sesSpec says how to run aws-ses-v2-local 2.10.2.
func sesSpec(bin string) emulatorSpec {
	return emulatorSpec{
		name: "aws-ses-v2-local",
		bin:  bin,
		// Its default host is "::", every interface of the machine.
		args: func(port int) []string { return []string{"--host", "127.0.0.1", "--port", strconv.Itoa(port)} },
		// Set, it relays every email to that SMTP server: a developer's
		// environment must not make local runs and tests send real mail.
		env: []string{"SMTP_TRANSPORT="},
		// It names 127.0.0.1 "localhost" in its banner, printed once the
		// port is bound.
		banner: func(port int) string { return fmt.Sprintf("server running at http://localhost:%d", port) },
		// It does not report EADDRINUSE: the failed listen still resolves
		// its start promise, and the CLI then dies on the server's missing
		// address with this message.
		portTaken: []string{"Server does not have an address", "EADDRINUSE"},
		readyPath: "/store",
	}
}

// StartSES starts the SES emulator on a free 127.0.0.1 port and returns once
// it serves requests. The executable is $SES_SERVER if set, else
// <repo root>/node_modules/.bin/aws-ses-v2-local as installed by
// `make tools`. ctx bounds the startup only: the server runs until Stop, or
// until this process dies (on Linux the kernel then kills it). The caller
// must call Stop.
func StartSES(ctx context.Context) (*SES, error) {
	bin, err := toolPath("SES_SERVER", "node_modules", ".bin", "aws-ses-v2-local")
	if err != nil {
		return nil, err
	}
	e, err := startEmulator(ctx, sesSpec(bin))
	if err != nil {
		return nil, err
	}
	return &SES{e}, nil
}

// Endpoint is the server's base URL, "http://127.0.0.1:<port>": the SES
// endpoint for AWSConfig.
func (s *SES) Endpoint() string { return s.endpoint }

// LogPath is the file receiving the server's output. Stop deletes it.
func (s *SES) LogPath() string { return s.logPath() }

// Stop kills the server's whole process group, waits for it to exit and
// deletes its log; the emails it kept are gone. It is safe to call more
// than once.
func (s *SES) Stop() { s.stop() }

// Email is one email the emulator accepted, as the sender gave it.
type Email struct {
	MessageID string // the MessageId SendEmail returned
	From      string
	ReplyTo   []string
	To        []string
	Cc        []string
	Bcc       []string
	Subject   string
	Text      string // "" when the email had no text body
	HTML      string // "" when the email had no HTML body
	At        time.Time
}

// storeJSON is the emulator's answer to GET /store (2.10.2). Attachments,
// headers and templates are left out: nothing here sends them.
type storeJSON struct {
	Emails []struct {
		MessageID   string   `json:"messageId"`
		From        string   `json:"from"`
		ReplyTo     []string `json:"replyTo"`
		Destination struct {
			To  []string `json:"to"`
			Cc  []string `json:"cc"`
			Bcc []string `json:"bcc"`
		} `json:"destination"`
		Subject string `json:"subject"`
		Body    struct {
			Text string `json:"text"`
			HTML string `json:"html"`
		} `json:"body"`
		At int64 `json:"at"` // Unix seconds
	} `json:"emails"`
}

// Sent returns every email accepted since the start or the last Clear,
// oldest first. At has the emulator's precision: whole seconds.
func (s *SES) Sent(ctx context.Context) ([]Email, error) {
	var store storeJSON
	if err := s.call(ctx, http.MethodGet, "/store", &store); err != nil {
		return nil, fmt.Errorf("read sent emails: %w", err)
	}
	emails := make([]Email, 0, len(store.Emails))
	for _, e := range store.Emails {
		emails = append(emails, Email{
			MessageID: e.MessageID,
			From:      e.From,
			ReplyTo:   e.ReplyTo,
			To:        e.Destination.To,
			Cc:        e.Destination.Cc,
			Bcc:       e.Destination.Bcc,
			Subject:   e.Subject,
			Text:      e.Body.Text,
			HTML:      e.Body.HTML,
			At:        time.Unix(e.At, 0),
		})
	}
	return emails, nil
}

// Clear forgets every email kept so far (and any v2 email templates), so a
// test sees only what it sends itself.
func (s *SES) Clear(ctx context.Context) error {
	if err := s.call(ctx, http.MethodPost, "/clear-store", nil); err != nil {
		return fmt.Errorf("clear sent emails: %w", err)
	}
	return nil
}
