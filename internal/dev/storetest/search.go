package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// SearchMembers reads a page of the tenant's members found by q, as the
// DynamoDB store's indexes order them: source by source, each in its
// search key's order (integration.Search).
func (m *Memory) SearchMembers(_ context.Context, tenant, q, cursor string, limit int) ([]engine.Member, string, error) {
	search, cur, err := integration.StartSearch(q, cursor)
	if err != nil {
		return nil, "", fmt.Errorf("search members: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return search.Page(cur, limit, func(src integration.SearchSource, after string, n int) ([]engine.Member, bool, error) {
		var found []engine.Member
		for k, mem := range m.members {
			if k.tenant == tenant && src.Matches(&mem) && integration.SearchKey(src.By, &mem) > after {
				found = append(found, mem)
			}
		}
		slices.SortFunc(found, func(a, b engine.Member) int {
			return strings.Compare(integration.SearchKey(src.By, &a), integration.SearchKey(src.By, &b))
		})
		return found[:min(n, len(found))], len(found) > n, nil
	})
}
