#!/bin/sh
# Benchmark: the explorer's update after a pen move, with and without saliency, for each network notebook 02 suggests
# (the article's and its six variants, read from 02's architecture line), this tree's page against BASE's, in one run.
#
#   BASE=7bdba9f bench/explorer_variants.sh            # about 10 minutes on 2 cores; ROUNDS=5 for more alternated rounds
#
# Each variant: chapter 02, copied with its architecture line set to the variant, trains 1 epoch on 1,000 images into a
# temporary folder (the update's time does not depend on how well the network learned), then bench/explorer.py compares
# the two pages on that checkpoint. Nothing you saved is touched. Not part of CI.
set -eu
cd "$(dirname "$0")/.."
base=${BASE:?set BASE to the revision to compare against, e.g. BASE=HEAD~1}
line=$(grep -m1 '^var architecture = ' notebooks/02-define-and-train.cs)
variants=$(printf '%s\n' "$line" | sed 's/^var architecture = \([A-Za-z]*\);.*or \(.*\)$/\1 \2/' | tr -d ',')
folder=$(mktemp -d)
copy=notebooks/bench-variant.cs   # beside the chapters, so that its #:project line finds the library
trap 'rm -rf "$folder" "$copy"' EXIT
trap 'exit 1' INT TERM   # so that the EXIT trap runs on Ctrl-C too
dotnet build src/ConvLens.Cli -c Release -v q -nologo > /dev/null
for variant in $variants; do
  sed "s/^var architecture = [A-Za-z]*;/var architecture = $variant;/" notebooks/02-define-and-train.cs > "$copy"
  if ! CONVLENS_NOTEBOOK_CHECKPOINT="$folder/$variant/convnet" dotnet run "$copy" -- epochs=1 limit=1000 output="$folder/$variant" > "$folder/$variant.log" 2>&1; then
    cat "$folder/$variant.log"; exit 1
  fi
  echo "== $variant"
  CHECKPOINT="$folder/$variant/convnet.json" BASE="$base" python3 bench/explorer.py
done
