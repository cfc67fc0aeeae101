// Package console is the admin console: a few static pages (HTML, CSS and
// plain JavaScript modules, no build step) embedded in the binary and
// served by the API at / and /console/. The pages hold no data and no
// secret: every read and write is a same-origin call to the API with the
// admin's bearer token, which lives only in the tab's sessionStorage.
package console
