#!/usr/bin/env bash
# Runs every fuzz test for FUZZTIME each, a count such as 20000x (see the
# Makefile); go test -fuzz takes one target per run. `make test` runs them
# briefly, `make fuzz` longer. Seeds live in each package's
# testdata/fuzz/<Name>/ and run in every plain go test.
set -euo pipefail
fuzztime=${1:-500000x}
cd "$(dirname "$0")/.."
grep -rl --include='*_test.go' '^func Fuzz' internal | sort | while read -r file; do
  pkg=./$(dirname "$file")
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r name; do
    echo "fuzz $pkg $name for $fuzztime"
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
