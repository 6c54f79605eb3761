#!/usr/bin/env bash
# Benchmark: seconds per epoch, images/s and peak RSS of the article's run, ConvLens against PyTorch at the fair
# setting (same threads, OpenBLAS), runs alternated. Not part of CI.
#   bench/epoch.sh                     # 3 rounds of 3 epochs each (about 5 minutes on 2 cores)
#   ROUNDS=5 EPOCHS=10 bench/epoch.sh  # longer
# PyTorch runs where Debian's python3-torch is installed (apt-get install python3-torch libopenblas0-pthread).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
EPOCHS=${EPOCHS:-3}
THREADS=${THREADS:-$(nproc)}
out=artifacts/bench
rm -rf "$out" && mkdir -p "$out"

dotnet build src/ConvLens.Cli -c Release -v q -nologo >/dev/null
cli=src/ConvLens.Cli/bin/Release/net10.0/ConvLens.Cli.dll
# Debian's python3-torch lives in the system Python, which may not be the python3 first on PATH.
PY=${PY:-/usr/bin/python3}
have_torch=0
"$PY" -c "import torch" 2>/dev/null && have_torch=1
[ $have_torch = 1 ] || echo "python3-torch is not installed: measuring ConvLens alone." >&2

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS: ConvLens" >&2
  dotnet "$cli" train --epochs "$EPOCHS" --output "$out/checkpoint" --json 2>/dev/null >"$out/convlens-$round.json"
  if [ $have_torch = 1 ]; then
    echo "round $round/$ROUNDS: PyTorch ($THREADS threads)" >&2
    "$PY" bench/pytorch_epoch.py --epochs "$EPOCHS" --threads "$THREADS" >"$out/pytorch-$round.json"
    # The same glibc malloc settings ConvLens applies to itself (src/ConvLens/Native/TorchNative.cs), for PyTorch too.
    echo "round $round/$ROUNDS: PyTorch ($THREADS threads, ConvLens's malloc settings)" >&2
    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_TOP_PAD_=67108864 \
      "$PY" bench/pytorch_epoch.py --epochs "$EPOCHS" --threads "$THREADS" >"$out/pytorchmalloc-$round.json"
  fi
done
python3 bench/summarize.py "$out"
