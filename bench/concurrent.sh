#!/usr/bin/env bash
# Benchmark: two convlens jobs at once on this machine, as two notebook kernels on a workshop laptop would run.
#   bench/concurrent.sh        # about 4 minutes on 2 cores (each setting twice, alternated)
# Job A trains one epoch on 20,000 images; job B synthesizes preferred inputs. Each runs alone, then both together,
# with ConvLens's setting (idle OpenMP threads spin briefly, GOMP_SPINCOUNT=1000) and with OpenMP's default (they spin
# 300 times longer), alternated in one run so the ratios compare. Together the two should take about the sum of their
# times alone (ratio ≈ 1), not much more. POLICIES="convlens default spin=10000 passive" picks the settings to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/ConvLens.Cli -c Release -v q -nologo -clp:NoSummary >&2
cli=(dotnet src/ConvLens.Cli/bin/Release/net10.0/ConvLens.Cli.dll)
out=$(mktemp -d)
a() { "${cli[@]}" train --epochs 1 --limit 20000 --output "$out/a" > /dev/null; }
b() { "${cli[@]}" preferred --output "$out/b" > /dev/null; }
seconds() { local s=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $s" | bc; }
for policy in ${POLICIES:-convlens default convlens default}; do
  unset CONVLENS_OPENMP_SPIN GOMP_SPINCOUNT OMP_WAIT_POLICY
  case $policy in
    default) export CONVLENS_OPENMP_SPIN=default ;;
    spin=*) export GOMP_SPINCOUNT=${policy#spin=} ;;
    passive) export OMP_WAIT_POLICY=PASSIVE ;;
  esac
  ta=$(seconds a); tb=$(seconds b)
  start=$(date +%s.%N); a & pa=$!; b & pb=$!; wait $pa; wait $pb; tt=$(echo "$(date +%s.%N) - $start" | bc)
  printf "OpenMP %-8s A alone %5.1f s, B alone %5.1f s, sum %5.1f s; both at once %5.1f s = %.2f × the sum\n" \
    "$policy" "$ta" "$tb" "$(echo "$ta + $tb" | bc)" "$tt" "$(echo "$tt / ($ta + $tb)" | bc -l)"
done
rm -rf "$out"
