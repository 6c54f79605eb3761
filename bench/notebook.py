#!/usr/bin/python3
"""Benchmark: a cold .NET Interactive kernel to the first heatmap of the feature-map notebook.

    bench/notebook.py          # 3 runs; prints seconds from kernel start to each chart, the median, and the 30 s target

Each run starts a fresh host (convlens workbook, over the host's stdio protocol), loads the shipped checkpoint (or the one notebook 02 saved) and
MNIST, and draws the charts. Not part of CI.
"""
import pathlib, re, statistics, subprocess, sys, tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
TARGET = 30.0

subprocess.run(["dotnet", "build", "src/ConvLens.Cli", "-c", "Release", "-v", "q", "-nologo"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
CLI = str(ROOT / "src" / "ConvLens.Cli" / "bin" / "Release" / "net10.0" / "ConvLens.Cli.dll")
first_chart, first_maps, total = [], [], []
with tempfile.TemporaryDirectory() as out:
    for run in range(1, RUNS + 1):
        result = subprocess.run(["dotnet", CLI, "workbook", "--timings", "--output", out, "05"],
                                cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(result.stdout + result.stderr)
        charts = [float(m.group(1)) for m in re.finditer(r"cell +\d+/\d+: +([\d.]+) s  \(chart\)", result.stdout)]
        seconds = float(re.search(r"05-visualize-feature-maps.ipynb: ([\d.]+) s", result.stdout).group(1))
        first_chart.append(charts[0])
        first_maps.append(charts[1])
        total.append(seconds)
        print(f"run {run}: first heatmap (the input image) {charts[0]:.1f} s, first feature maps {charts[1]:.1f} s, whole notebook {seconds:.1f} s")
print(f"median: first heatmap {statistics.median(first_chart):.1f} s, first feature maps {statistics.median(first_maps):.1f} s "
      f"= {statistics.median(first_maps) / TARGET:.2f} × the {TARGET:.0f} s target; whole notebook {statistics.median(total):.1f} s")
