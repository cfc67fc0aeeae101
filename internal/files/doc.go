// Package files writes a run's error file: the CSV an admin downloads to see
// which PeopleHR rows were skipped or changed with a caveat, kept in S3.
package files
