package integration

import "errors"

// ErrBadCursor is returned by a store's paged reads for a cursor that
// store did not make: the API answers it as bad input.
var ErrBadCursor = errors.New("invalid page cursor")
