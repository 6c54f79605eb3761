#!/usr/bin/env bash
# Runs the whole test suite N times in a row (default 10) and reports, per test, how often it failed.
# Not part of CI: on 2 cores each run takes about 4 minutes.   Usage: tests/stress.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
out=$(mktemp -d)
dotnet build ConvLens.slnx -c Release -v q -nologo -clp:NoSummary || exit 1
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  dotnet test ConvLens.slnx -c Release --no-build --logger "trx;LogFileName=$out/run-$i.trx" > "$out/run-$i.log" 2>&1
  echo "run $i/$runs: exit $?, $(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$out/run-$i.log" | head -1), $(( $(date +%s) - start )) s"
done
echo "failures per test over $runs runs:"
grep -ho 'testName="[^"]*"[^>]*outcome="Failed"' "$out"/run-*.trx | sed 's/testName="\([^"]*\)".*/\1/' | sort | uniq -c | sort -rn || true
[ -z "$(grep -l 'outcome="Failed"' "$out"/run-*.trx)" ] && echo "none"
echo "logs and trx files: $out"
