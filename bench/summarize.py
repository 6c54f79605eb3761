"""Summarizes bench/epoch.sh's runs: per-epoch seconds, images/s, peak RSS, memory growth, and the median ratio."""
import glob, json, os, statistics, sys

out = sys.argv[1]


def load(kind):
    runs = []
    for path in sorted(glob.glob(os.path.join(out, f"{kind.rstrip('-')}-*.json"))):
        with open(path) as f:
            runs.append(json.load(f))
    return runs


convlens, pytorch, tuned = load("convlens"), load("pytorch-"), load("pytorchmalloc")
cl_seconds = [[e["seconds"] for e in run["epochs"]] for run in convlens]
# Epoch 1 carries one-time warm-up (JIT, allocator, kernel selection); the steady figure is the median of the rest.
steady = lambda s: statistics.median(s[1:] if len(s) > 1 else s)

print(f"{'':10} {'epoch 1 s':>10} {'steady s/epoch':>15} {'images/s':>10} {'peak RSS MiB':>13}")
for i, (run, s) in enumerate(zip(convlens, cl_seconds), 1):
    print(f"ConvLens {i} {s[0]:10.2f} {steady(s):15.2f} {run['trainImages'] / steady(s):10.0f} {run['peakRssMiB']:13.0f}"
          f"   RSS after each epoch: {', '.join(f'{m:.0f}' for m in run['rssMiBAfterEpoch'])} MiB")
for label, runs in (("PyTorch ", pytorch), ("PyTorch+", tuned)):
  for i, run in enumerate(runs, 1):
    s = run["seconds"]
    print(f"{label} {i} {s[0]:10.2f} {steady(s):15.2f} {run['trainImages'] / steady(s):10.0f} {run['peakRssMiB']:13.0f}"
          f"   torch {run['torch']}, {run['threads']} threads, BLAS {', '.join(run['blas']) or 'none mapped'}")
if tuned:
    print("(PyTorch+ = PyTorch with the same glibc malloc settings that ConvLens applies to itself)")

growth = [run["rssMiBAfterEpoch"][-1] - run["rssMiBAfterEpoch"][1] for run in convlens if len(run["rssMiBAfterEpoch"]) > 2]
if growth:
    print(f"ConvLens RSS growth from epoch 2 to the last: {', '.join(f'{g:+.0f}' for g in growth)} MiB")
print(f"ConvLens peak RSS: {max(r['peakRssMiB'] for r in convlens):.0f} MiB (target < 1536)")
if pytorch:
    ratios = [steady(c) / steady(p["seconds"]) for c, p in zip(cl_seconds, pytorch)]
    print(f"ratio ConvLens / PyTorch, steady epoch time, per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"median ratio: {statistics.median(ratios):.2f} (target <= 0.90, never above 1.00)")
    whole = [statistics.mean(c) / statistics.mean(p["seconds"]) for c, p in zip(cl_seconds, pytorch)]
    first = [c[0] / p["seconds"][0] for c, p in zip(cl_seconds, pytorch)]
    print(f"ratio over all epochs, warm-up included, per round: {', '.join(f'{r:.2f}' for r in whole)}; epoch 1 alone: {', '.join(f'{r:.2f}' for r in first)}")
if tuned:
    ratios = [steady(c) / steady(p["seconds"]) for c, p in zip(cl_seconds, tuned)]
    print(f"ratio ConvLens / PyTorch+ (same malloc settings), steady, per round: {', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}")
