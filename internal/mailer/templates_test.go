package mailer

import (
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/integration"
)

func TestWelcomeEscapesWhatItQuotes(t *testing.T) {
	subject, text, html, err := welcomeTemplate.render(map[string]any{
		"Name": `<script>alert(1)</script> Zoë`, "Programme": "Acme\r\nBcc: evil@x.example Perks",
		"Link": "https://benefits.example/invite?tenant=acme&token=abc", "Expires": "1 April 2026",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(subject, "\r\n") || subject != "Welcome to Acme Bcc: evil@x.example Perks" {
		t.Errorf("subject %q", subject)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") || !strings.Contains(html, "Zoë") {
		t.Errorf("html not escaped:\n%s", html)
	}
	if !strings.Contains(html, `href="https://benefits.example/invite?tenant=acme&amp;token=abc"`) {
		t.Errorf("link:\n%s", html)
	}
	if !strings.Contains(text, "https://benefits.example/invite?tenant=acme&token=abc") {
		t.Errorf("text:\n%s", text)
	}
}

func TestRecipients(t *testing.T) {
	in := &integration.Integration{AdminEmail: "Admin@Acme.example"}
	in.Settings.SummaryRecipients = []string{" hr@acme.example", "admin@acme.example", "", "HR@acme.example"}
	if got := strings.Join(recipients(in), ","); got != "admin@acme.example,hr@acme.example" {
		t.Fatalf("recipients %s", got)
	}
}
