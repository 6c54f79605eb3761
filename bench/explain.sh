#!/usr/bin/env bash
# Benchmark: seconds per attribution method on the shipped checkpoint, for the article's digit (integrated gradients at
# 50 steps), and for activation maximization of one unit, against the 10 s target. Not part of CI.
#   bench/explain.sh        # 3 runs each
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
dotnet build src/ConvLens.Cli -c Release -v q -nologo >/dev/null
cli="dotnet src/ConvLens.Cli/bin/Release/net10.0/ConvLens.Cli.dll"
out=$(mktemp -d)
for run in $(seq 1 "$RUNS"); do
  $cli explain --split train --index 4 --steps 50 --timings --output "$out" | grep '^time'
  /usr/bin/time -f "time  preferred, all 48 channels and 10 classes %e s" $cli preferred --output "$out" 2>&1 >/dev/null | grep '^time'
done | python3 -c '
import sys, re, statistics
times = {}
for line in sys.stdin:
    m = re.match(r"time  (.+?) +([\d.]+) s", line.strip())
    if m:
        times.setdefault(m.group(1), []).append(float(m.group(2)))
for method, values in times.items():
    median = statistics.median(values)
    if method.startswith("preferred"):
        print(f"{method:52} median {median:6.2f} s; per unit {median / 58:.2f} s = {median / 58 / 10:.3f} x the 10 s target")
    else:
        print(f"{method:52} median {median:6.2f} s = {median / 10:.3f} x the 10 s target")
'
rm -rf "$out"
