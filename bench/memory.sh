#!/usr/bin/env bash
# Benchmark: peak resident memory of './convlens train' after each of its phases (load, train, test, save, each page),
# as its --json reports them (Process.PeakWorkingSet64), with free memory returned to the OS between phases (as
# shipped) against the reference of the same build holding it (CONVLENS_HOLD_FREE_MEMORY=1), runs alternated, and the
# ratio of the two peaks. Not part of CI.
#   bench/memory.sh                    # 2 rounds of the article's 10 epochs (about 12 minutes on 2 cores)
#   ROUNDS=3 EPOCHS=1 bench/memory.sh  # quicker; fewer epoch checkpoints for the explorer's slider
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
EPOCHS=${EPOCHS:-10}
out=artifacts/bench-memory
rm -rf "$out" && mkdir -p "$out"
dotnet build src/ConvLens.Cli -c Release -v q -nologo >/dev/null
cli=src/ConvLens.Cli/bin/Release/net10.0/ConvLens.Cli.dll
for round in $(seq 1 "$ROUNDS"); do
  for mode in shipped held; do
    echo "round $round/$ROUNDS: $mode" >&2
    hold=0; [ $mode = held ] && hold=1
    CONVLENS_HOLD_FREE_MEMORY=$hold dotnet "$cli" train --epochs "$EPOCHS" --output "$out/run" --json 2>/dev/null >"$out/$mode-$round.json"
  done
done
python3 - "$out" "$ROUNDS" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
runs = {m: [json.load(open(f"{out}/{m}-{r}.json")) for r in range(1, rounds + 1)] for m in ("shipped", "held")}
phases = list(runs["shipped"][0]["peakMiBByPhase"])
print(f"{'phase':16}" + "".join(f"{m + ' ' + str(r + 1):>12}" for m in runs for r in range(rounds)))
for p in phases:
    print(f"{p:16}" + "".join(f"{run['peakMiBByPhase'][p]:12.0f}" for m in runs for run in runs[m]))
for r in range(rounds):
    s, h = runs["shipped"][r]["peakRssMiB"], runs["held"][r]["peakRssMiB"]
    print(f"round {r + 1}: peak {s:.0f} MiB returning free memory, {h:.0f} MiB holding it: ratio {s / h:.2f}; "
          f"test accuracy {runs['shipped'][r]['test']['accuracy']:.2%} and {runs['held'][r]['test']['accuracy']:.2%}")
PY
