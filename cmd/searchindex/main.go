// Command searchindex is the one-off backfill of member search: it gives
// the members of each tenant named that were stored before format 3 their
// search keys (dynamo.Store.IndexMembers), so searches find them before
// their next write. Safe to run again and beside imports (README, "Member
// search"). The table comes from TABLE_NAME, AWS from the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/peoplesync/peoplesync/internal/dynamo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "searchindex:", err)
		os.Exit(1)
	}
}

func run() error {
	tenants := flag.String("tenant", "", "comma-separated tenant ids whose members are indexed (required)")
	flag.Parse()
	table := os.Getenv("TABLE_NAME")
	if *tenants == "" || table == "" {
		return errors.New("usage: TABLE_NAME=<table> searchindex -tenant <id>[,<id>...]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg), table)
	for _, tenant := range strings.Split(*tenants, ",") {
		n, err := store.IndexMembers(ctx, strings.TrimSpace(tenant))
		if err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
		fmt.Printf("%s: %d members indexed\n", tenant, n)
	}
	return nil
}
