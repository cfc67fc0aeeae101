package storetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// changeLag is the DynamoDB store's: a page of changes stops this far
// behind the clock, so a test sees a change only once the clock has moved
// on past it.
const changeLag = time.Minute

// changeLayout orders change times as text, as the DynamoDB store's index
// key does.
const changeLayout = "2006-01-02T15:04:05.000000000Z"

// changeCursor prefixes a cursor's change key: a cursor of another list is
// no cursor of this one.
const changeCursor = "C#"

// ChangedMembers reads a page of a tenant's members changed after cursor,
// leavers included, as the DynamoDB store does: in the order written (time,
// then employee id), up to changeLag before now, with the cursor to read on
// from always given (the same one when nothing changed). A member's change
// time is its UpdatedAt, which here every member write sets and nothing
// else does, so this store needs no listing to start from: every member it
// holds is in its order of changes from the start.
func (m *Memory) ChangedMembers(_ context.Context, tenant, cursor string, limit int) ([]engine.Member, string, error) {
	after, err := changeAfter(cursor)
	if err != nil {
		return nil, "", fmt.Errorf("changed members: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	horizon := m.now().Add(-changeLag).UTC().Format(changeLayout)
	byKey := map[string]engine.Member{}
	for k, mem := range m.members {
		if k.tenant != tenant {
			continue
		}
		if key := mem.UpdatedAt.UTC().Format(changeLayout) + "#" + k.key; key > after && key < horizon {
			byKey[key] = mem
		}
	}
	keys := slices.Sorted(maps.Keys(byKey))
	keys = keys[:min(limit, len(keys))]
	out := make([]engine.Member, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	if len(keys) > 0 {
		after = keys[len(keys)-1]
	}
	return out, base64.RawURLEncoding.EncodeToString([]byte(changeCursor + after)), nil
}

// changeAfter is the change key a cursor names; "" for the start (the
// cursor "" or one given before anything changed).
func changeAfter(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	after, ok := strings.CutPrefix(string(b), changeCursor)
	if err != nil || !ok || !utf8.Valid(b) {
		return "", integration.ErrBadCursor
	}
	if after == "" {
		return "", nil
	}
	at, id, keyed := strings.Cut(after, "#")
	if _, err := time.Parse(changeLayout, at); err != nil || !keyed || id == "" {
		return "", integration.ErrBadCursor
	}
	return after, nil
}
