package mailer

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// Every email has a text and an HTML body from the same data. The HTML
// templates escape every value: names and reasons come from PeopleHR and
// admins, typed by anyone.
type template struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

func mustTemplate(subject, text, html string) template {
	return template{
		subject: texttemplate.Must(texttemplate.New("subject").Parse(subject)),
		text:    texttemplate.Must(texttemplate.New("text").Parse(text)),
		html:    htmltemplate.Must(htmltemplate.New("html").Parse(html)),
	}
}

func (t template) render(data any) (subject, text, html string, err error) {
	var s, tx, h strings.Builder
	if err = t.subject.Execute(&s, data); err != nil {
		return
	}
	if err = t.text.Execute(&tx, data); err != nil {
		return
	}
	if err = t.html.Execute(&h, data); err != nil {
		return
	}
	// A subject is one line, whatever a programme name holds.
	return strings.Join(strings.Fields(s.String()), " "), tx.String(), h.String(), nil
}

var welcomeTemplate = mustTemplate(
	`Welcome to {{.Programme}}`,
	`Hello {{.Name}},

{{.Programme}} has opened your benefits account.

Set your password with this link (it works once, until {{.Expires}}):
{{.Link}}

If you were not expecting this email, you can ignore it.
`,
	`<!doctype html>
<html lang="en"><body style="font-family:sans-serif;color:#1a1a1a">
<p>Hello {{.Name}},</p>
<p>{{.Programme}} has opened your benefits account.</p>
<p><a href="{{.Link}}" style="background:#0b57d0;color:#fff;padding:10px 16px;border-radius:4px;text-decoration:none">Set your password</a></p>
<p>The link works once, until {{.Expires}}.</p>
<p style="color:#555">If you were not expecting this email, you can ignore it.</p>
</body></html>
`)

var reminderTemplate = mustTemplate(
	`Reminder: your {{.Programme}} account is waiting`,
	`Hello {{.Name}},

{{.Programme}} opened a benefits account for you, and it is still waiting.

Set your password with this link (it works once, until {{.Expires}}; any earlier link no longer works):
{{.Link}}

If you were not expecting this email, you can ignore it.
`,
	`<!doctype html>
<html lang="en"><body style="font-family:sans-serif;color:#1a1a1a">
<p>Hello {{.Name}},</p>
<p>{{.Programme}} opened a benefits account for you, and it is still waiting.</p>
<p><a href="{{.Link}}" style="background:#0b57d0;color:#fff;padding:10px 16px;border-radius:4px;text-decoration:none">Set your password</a></p>
<p>The link works once, until {{.Expires}}; any earlier link no longer works.</p>
<p style="color:#555">If you were not expecting this email, you can ignore it.</p>
</body></html>
`)

var summaryTemplate = mustTemplate(
	`{{.Programme}}: PeopleHR import {{.Status}}`,
	`The PeopleHR import of {{.Finished}} {{.Status}}.
{{if .Reason}}
{{.Reason}}
{{end}}
Created: {{.Counts.Created}}
Updated: {{.Counts.Updated}}
Unchanged: {{.Counts.Unchanged}}
Closed (leavers): {{.Counts.Closed}}
Reactivated: {{.Counts.Reactivated}}
Leavers skipped: {{.Counts.SkippedLeavers}}
Errors: {{.Counts.Errors}}
Warnings: {{.Counts.Warnings}}
Records in PeopleHR: {{.Counts.Total}}
{{with .ChangeRuns}}{{if .Runs}}
Applied from PeopleHR's change notifications since the last import ({{.Runs}} change runs):
created {{.Counts.Created}}, updated {{.Counts.Updated}}, closed {{.Counts.Closed}}, reactivated {{.Counts.Reactivated}}, errors {{.Counts.Errors}}
{{end}}{{end}}{{with .Members}}
Joined since the last import: {{.JoinedSinceLast}}
Joined so far: {{.Joined}} of {{.Members}} members
{{end}}{{if .ErrorFile}}
An error file lists the rows with errors or warnings: download it from the dashboard.
{{end}}
Dashboard: {{.Dashboard}}
`,
	`<!doctype html>
<html lang="en"><body style="font-family:sans-serif;color:#1a1a1a">
<p>The PeopleHR import of {{.Finished}} <strong>{{.Status}}</strong>.</p>
{{if .Reason}}<p>{{.Reason}}</p>{{end}}
<table style="border-collapse:collapse">
<tr><td>Created</td><td>{{.Counts.Created}}</td></tr>
<tr><td>Updated</td><td>{{.Counts.Updated}}</td></tr>
<tr><td>Unchanged</td><td>{{.Counts.Unchanged}}</td></tr>
<tr><td>Closed (leavers)</td><td>{{.Counts.Closed}}</td></tr>
<tr><td>Reactivated</td><td>{{.Counts.Reactivated}}</td></tr>
<tr><td>Leavers skipped</td><td>{{.Counts.SkippedLeavers}}</td></tr>
<tr><td>Errors</td><td>{{.Counts.Errors}}</td></tr>
<tr><td>Warnings</td><td>{{.Counts.Warnings}}</td></tr>
<tr><td>Records in PeopleHR</td><td>{{.Counts.Total}}</td></tr>
{{with .ChangeRuns}}{{if .Runs}}<tr><td colspan="2">Applied from PeopleHR's change notifications since the last import ({{.Runs}} change runs):
created {{.Counts.Created}}, updated {{.Counts.Updated}}, closed {{.Counts.Closed}}, reactivated {{.Counts.Reactivated}}, errors {{.Counts.Errors}}</td></tr>{{end}}{{end}}
{{with .Members}}<tr><td>Joined since the last import</td><td>{{.JoinedSinceLast}}</td></tr>
<tr><td>Joined so far</td><td>{{.Joined}} of {{.Members}} members</td></tr>{{end}}
</table>
{{if .ErrorFile}}<p>An error file lists the rows with errors or warnings: download it from the dashboard.</p>{{end}}
<p><a href="{{.Dashboard}}">Open the dashboard</a></p>
</body></html>
`)

var reauthTemplate = mustTemplate(
	`{{.Programme}}: reconnect PeopleHR`,
	`PeopleHR refused the API key {{.Times}} times in a row, so imports are paused.

Paste a new key in the PeopleHR setup to resume them:
{{.Dashboard}}
`,
	`<!doctype html>
<html lang="en"><body style="font-family:sans-serif;color:#1a1a1a">
<p>PeopleHR refused the API key {{.Times}} times in a row, so imports are paused.</p>
<p><a href="{{.Dashboard}}">Paste a new key in the PeopleHR setup</a> to resume them.</p>
</body></html>
`)
