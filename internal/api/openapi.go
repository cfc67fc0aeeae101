package api

import _ "embed"

// openAPI is the API's OpenAPI 3.1 document, served at /openapi.json.
//
//go:embed openapi.json
var openAPI []byte
