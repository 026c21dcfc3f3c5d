#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time (default 3s each):
# the parsers of server bytes must survive random input in every test run.
set -euo pipefail
fuzztime=${1:-3s}
cd "$(dirname "$0")/.."
failed=0
count=0
while read -r pkg; do
  dir=${pkg#github.com/vigilsec/vigil}
  for target in $(go test -list '^Fuzz' "./${dir#/}" 2>/dev/null | grep '^Fuzz' || true); do
    count=$((count + 1))
    # Go's fuzzer can end a run at its deadline with a bare "context
    # deadline exceeded" and no failing input when the machine is loaded;
    # that run is repeated once. A real failure names its input.
    if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./${dir#/}" 2>&1) &&
       ! { grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input' <<<"$out" &&
           out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./${dir#/}" 2>&1); }; then
      echo "FAIL fuzz $pkg $target"; echo "$out" | tail -30; failed=$((failed + 1))
    else
      echo "ok   fuzz $pkg $target"
    fi
  done
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | sed 's|^\.|github.com/vigilsec/vigil|')
echo "fuzz: $count targets, $failed failed"
[ "$failed" -eq 0 ]
