package dynamo

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Every item this store writes is encoded here, in the adapter, by name:
// no stored shape follows a domain type's Go field names, their order or
// their JSON tags, so a refactor of the domain cannot change what a stored
// item means. Each item says which encoding it is in, so a build reads only
// what it knows and refuses the rest instead of guessing: a misread member
// or held plan would be written back wrong.

// formatAttr names the attribute holding an item's format version. No
// member field is called so: it cannot clash with a member's values.
const formatAttr = "fmt"

// errUnknownFormat is wrapped by every error for an item stored in a
// format this build does not read: written by a newer build (roll it
// forward) or not by this store.
var errUnknownFormat = errors.New("unknown stored format")

// formatOf reads an item's format version. Items written before formats
// were versioned carry none: unversioned is the version their shape is.
func formatOf(what string, item map[string]types.AttributeValue, unversioned int64) (int64, error) {
	av, ok := item[formatAttr]
	if !ok {
		return unversioned, nil
	}
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("%s: format version is not a number: %w", what, errUnknownFormat)
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: format version %q: %w", what, n.Value, errUnknownFormat)
	}
	return v, nil
}

// checkFormat refuses an item in any format but want. An item without a
// version is taken as format 1: every kind but the held change was already
// stored in format 1's shape before versions were written, and real tables
// hold such items.
func checkFormat(what string, item map[string]types.AttributeValue, want int64) error {
	v, err := formatOf(what, item, 1)
	if err != nil {
		return err
	}
	if v != want {
		return unknownFormat(what, v, want)
	}
	return nil
}

func unknownFormat(what string, got, newest int64) error {
	return fmt.Errorf("%s is stored in format %d, which this build does not read (its newest is %d): %w", what, got, newest, errUnknownFormat)
}

// mapSlice converts each element, keeping nil apart from empty: the store
// gives back what it was given.
func mapSlice[S, T any](in []S, f func(S) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
