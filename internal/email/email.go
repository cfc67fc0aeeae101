// Package email sends email through SES at a bounded rate and sorts its
// failures into "try later" and "never": the mailer decides what each means
// for the email's state.
package email

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"
)

// API is the part of the SES client the sender calls.
type API interface {
	SendEmail(context.Context, *ses.SendEmailInput, ...func(*ses.Options)) (*ses.SendEmailOutput, error)
}

// Message is one email.
type Message struct {
	To      []string
	Subject string
	Text    string
	HTML    string
}

var (
	// ErrRetryLater marks a send that certainly did not happen and may
	// work later (throttling, paused sending, SES unreachable).
	ErrRetryLater = errors.New("email not sent: try later")
	// ErrRejected marks a message SES will never send (a refused address).
	ErrRejected = errors.New("email rejected")
)

// Sender sends through SES.
type Sender struct {
	api       API
	from      string
	configSet string
	limiter   *rate.Limiter
}

// NewSender sends from from (a verified identity), at most perSecond
// emails a second from this process, tagged with configSet if not empty.
func NewSender(api API, from, configSet string, perSecond float64) *Sender {
	return &Sender{api: api, from: from, configSet: configSet, limiter: rate.NewLimiter(rate.Limit(perSecond), 1)}
}

// Send sends m and returns SES's message id. Errors wrap ErrRetryLater or
// ErrRejected where SES said which; others are unknown outcomes.
func (s *Sender) Send(ctx context.Context, m Message) (string, error) {
	if err := s.limiter.Wait(ctx); err != nil {
		return "", fmt.Errorf("%w: %v", ErrRetryLater, err)
	}
	in := &ses.SendEmailInput{
		Source:      &s.from,
		Destination: &types.Destination{ToAddresses: m.To},
		Message: &types.Message{
			Subject: &types.Content{Data: &m.Subject, Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: &m.Text, Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: &m.HTML, Charset: aws.String("UTF-8")},
			},
		},
	}
	if s.configSet != "" {
		in.ConfigurationSetName = &s.configSet
	}
	out, err := s.api.SendEmail(ctx, in)
	if err != nil {
		return "", classify(err)
	}
	return aws.ToString(out.MessageId), nil
}

func classify(err error) error {
	var rejected *types.MessageRejected
	var paused *types.AccountSendingPausedException
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &rejected):
		return fmt.Errorf("%w: %v", ErrRejected, err)
	case errors.As(err, &paused):
		return fmt.Errorf("%w: %v", ErrRetryLater, err)
	case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "Throttling" || apiErr.ErrorCode() == "ServiceUnavailable"):
		return fmt.Errorf("%w: %v", ErrRetryLater, err)
	}
	return fmt.Errorf("send email: %w", err)
}
