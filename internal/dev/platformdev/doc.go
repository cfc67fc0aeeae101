// Package platformdev is a DEVELOPMENT stand-in for the benefits
// platform's join page, NEVER DEPLOYED: no function imports it (the deploy
// tests refuse anything under internal/dev). It lets `make local` and the
// end-to-end tests follow a welcome email's link the way a member would:
// the page asks them to press Join, and its server side redeems the
// invitation over the platform API with a machine token, as the real
// platform's backend does. The real platform's page, sign-up and session
// are its own; nothing here is a model for them beyond the API calls.
package platformdev
