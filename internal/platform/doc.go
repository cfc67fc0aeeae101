// Package platform is the API the benefits platform's backend calls, apart
// from the admin API: it redeems a welcome email's invitation (the member
// joins) and reads the member directory, so the platform can open an
// account, sign a member in and restrict a leaver at once.
//
// Its routes live under /platform/ and take machine-to-machine tokens only
// (auth.Machine: the platform audience, a client, scopes), each route
// requiring its scope; an admin's token is refused here, as a platform
// token is refused by the admin API. The platform acts for every tenant,
// so the tenant is in the path, validated as everywhere else.
package platform
