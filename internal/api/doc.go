// Package api is the setup and import API of SPEC section 4: the four setup
// steps, publish, import now, history, error files, held runs and members,
// over HTTP. One net/http handler serves it behind API Gateway (through the
// Lambda adapter) and locally alike. The tenant and the admin come only from
// the authenticated principal, never from the URL or the body, and every
// store call is keyed by that tenant: another tenant's ids find nothing.
package api
