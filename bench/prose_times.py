#!/usr/bin/python3
"""Benchmark: every time the prose quotes, against the workbook run that it describes, measured now.

    bench/prose_times.py            # about 9 minutes on 2 cores: the workbook as shipped with every exercise, then 02 short
    bench/prose_times.py --output DIR   # keep the executed notebooks and logs in DIR
    bench/prose_times.py --reuse DIR    # read an earlier run's DIR instead of running again

Runs `convlens workbook --exercises --timings` (the six notebooks as shipped, then every "Try this" exercise in new
cells; peak memory from /usr/bin/time), and 02 with `epochs = 1, limit = 3000`. Each claim below is found in its file by
a pattern, its number read from the prose (nothing here repeats a number), and printed beside what this run measured,
with the ratio. Times vary about ±20 % from run to run and more between machines: a ratio outside 0.67–1.5 is marked
and makes the exit status 1, so the sentence can be fixed or labelled. Not part of CI.
"""
import json, os, pathlib, re, statistics, subprocess, sys, tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
LOW, HIGH = 0.67, 1.5


def flat(path):
    return re.sub(r"\s+", " ", (ROOT / path).read_text())


def notebook_prose(name):
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    return re.sub(r"\s+", " ", " ".join("".join(c["source"]) for c in cells))


def run(args, out):
    command = ["/usr/bin/time", "-f", "peak %M KB", "dotnet", str(CLI), "workbook", "--timings", "--output", str(out), *args]
    # Notebook 02 saves its model here, not over the one the reader trained in artifacts/notebook.
    environment = {**os.environ, "CONVLENS_NOTEBOOK_CHECKPOINT": str(out / "model" / "convnet")}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        sys.exit(result.stdout[-3000:] + result.stderr[-3000:])
    (out / "log.txt").write_text(result.stdout + result.stderr)
    return result.stdout + result.stderr


def cells(out, log):
    """Per notebook: its total seconds and, per code cell, (source, seconds that cell took)."""
    books = {}
    for match in re.finditer(r"ok +(\d\d)-[\w-]+\.ipynb: ([\d.]+) s[^\n]*\n((?: +cell +\d+/\d+: +[\d.]+ s[^\n]*\n)+)", log):
        number, total, lines = match.group(1), float(match.group(2)), match.group(3)
        ends = [float(m.group(1)) for m in re.finditer(r"cell +\d+/\d+: +([\d.]+) s", lines)]
        path = next(out.glob(f"{number}-*.ipynb"))
        sources = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        assert len(sources) == len(ends), (number, len(sources), len(ends))
        durations = [ends[0]] + [b - a for a, b in zip(ends, ends[1:])]
        outputs = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        books[number] = {"total": total, "cells": list(zip(sources, durations)), "outputs": outputs}
    return books


def cell(book, needle):
    hits = [seconds for source, seconds in book["cells"] if needle in source]
    assert len(hits) == 1, (needle, len(hits))
    return hits[0]


def exercises(book, numbers):
    return [seconds for source, seconds in book["cells"] if any(source.startswith(f"// Try this: exercise {n}\n") for n in numbers)]


def until_exercises(book):
    """The notebook as shipped: its time up to the first exercise cell."""
    return sum(seconds for source, seconds in book["cells"] if not source.startswith("// Try this:"))


def text_of(output_cell):
    return "".join("".join(o.get("text", "")) if isinstance(o.get("text"), list) else o.get("text", "") for o in output_cell.get("outputs", []))


def main():
    option = lambda name: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None
    reuse, keep = option("--reuse"), option("--output")
    with tempfile.TemporaryDirectory() as scratch:
        base = pathlib.Path(reuse or keep or scratch)
        full, short = base / "full", base / "short"
        if reuse:
            full_log, short_log = (full / "log.txt").read_text(), (short / "log.txt").read_text()
        else:
            full.mkdir(parents=True); short.mkdir(parents=True)
            print("running the workbook as shipped with every exercise (about 8 minutes)…", flush=True)
            full_log = run(["--exercises"], full)
            print("running 02 with epochs = 1, limit = 3000…", flush=True)
            short_log = run(["02", "-p", "epochs=1", "-p", "limit=3000"], short)
        books, quick = cells(full, full_log), cells(short, short_log)
        peak_mb = int(re.search(r"peak (\d+) KB", full_log).group(1)) / 1000
        b = books
        training = text_of(next(c for c in b["02"]["outputs"] if "Trainer.Train(model" in "".join(c["source"])))
        lines = [line.split("\r")[-1] for line in training.split("\n")]   # what the progress line ended as
        epochs = [float(m.group(1)) for line in lines if (m := re.match(r"epoch +\d+/\d+ .* ([\d.]+) s$", line))]
        setup = statistics.median(book["cells"][0][1] for book in b.values())

        teaching, workbook = flat("docs/teaching.md"), flat("docs/workbook.md")
        n01, n02, n04 = notebook_prose("01-what-a-cnn-does"), notebook_prose("02-define-and-train"), notebook_prose("04-visualize-filters")
        # (where, text, pattern with one number per group, measured values in the same order, how to read the prose's
        # numbers: None "about" each, or a function of the groups); a where ending in "under" or "at most" is an upper
        # bound (measured ≤ said × 1.5), one ending in "range" a span the measured values must fall in (± the same margin).
        claims = [
            ("teaching: the whole run", teaching, r"--timings`, (\d+) min (\d+) s in all", [sum(x["total"] for x in b.values())], lambda m: [int(m[0]) * 60 + int(m[1])]),
            ("teaching: peak memory (MB)", teaching, r"took \d+ min \d+ s, (\d+) MB at most", [peak_mb], None),
            ("workbook.md: peak memory (MB)", workbook, r"in all; (\d+) MB at most", [peak_mb], None),
            ("teaching: a setup cell", teaching, r"setup cell adds about (\d+) s", [setup], None),
            ("teaching: 01", teaching, r"01 What a CNN does \(runs in (\d+) s\)", [b["01"]["total"]], None),
            ("teaching: 01's exercises, each under", teaching, r"01\.4–01\.5 write \(each under (\d+) s\)", [max(exercises(b["01"], range(1, 6)))], None),
            ("teaching: 02's 10 epochs", teaching, r"train the 10 epochs \((\d+) s\)", [cell(b["02"], "Trainer.Train(model")], None),
            ("teaching: 02's 1,000-image run", teaching, r"the 1,000-image run \((\d+) s\)", [cell(b["02"], "fewHistory")], None),
            ("teaching: 02.1, 02.2, 02.3", teaching, r"02\.1 3×3 \((\d+) s\), 02\.2 third layer \((\d+) s\), 02\.3 Fashion-MNIST \((\d+) s\)", exercises(b["02"], [1]) + exercises(b["02"], [2]) + exercises(b["02"], [3]), None),
            ("teaching: 03 and its MLP", teaching, r"03 Evaluate \((\d+) s with its exercises; the MLP trains in (\d+) s\)", [b["03"]["total"], cell(b["03"], "Trainer.Train(mlp")], None),
            ("teaching: 03's exercises at most", teaching, r"03\.4–03\.5 write \(([\d.]+) s at most\)", [max(exercises(b["03"], range(1, 6)))], None),
            ("teaching: 04 and 04.3", teaching, r"04 Filters \((\d+) s\).*?04\.3 trains a small net: ([\d.]+) s", [b["04"]["total"]] + exercises(b["04"], [3]), None),
            ("teaching: 05", teaching, r"05 Feature maps \((\d+) s\)", [b["05"]["total"]], None),
            ("teaching: 05's exercises, each under", teaching, r"05\.5–05\.6 write \(each under (\d+) s\)", [max(exercises(b["05"], range(1, 7)))], None),
            ("teaching: 06, preferred inputs, filters over time", teaching, r"06 Why it decides \((\d+) s: preferred inputs (\d+) s, filters over time (\d+) s\)",
             [b["06"]["total"], cell(b["06"], "PreferredInput.ForChannel(model, layer"), cell(b["06"], "FilterHistory")], None),
            ("teaching: 06's exercises at most", teaching, r"06\.4–06\.5 write \(([\d.]+) s at most\)", [max(exercises(b["06"], range(1, 6)))], None),
            ("01: loading MNIST, under", n01, r"loads the whole set into memory \(the cell takes under (\d+) s\)", [cell(b["01"], "Datasets.Load(")], None),
            ("02: an epoch, range", n02, r"an epoch takes about (\d+) to (\d+) seconds", [min(epochs), max(epochs)], None),
            ("02: short", n02, r"`limit = 3000` \(the first 3,000 images of each split\): it then takes about (\d+) s", [quick["02"]["total"]], None),
            ("04: exercise 3", n04, r"8,000 train it, 2,000 check it; about (\d+) s", exercises(b["04"], [3]), None),
            ("workbook.md: 01 as shipped", workbook, r"`01-what-a-cnn-does` \|[^|]*\| (\d+) s \|", [until_exercises(b["01"])], None),
            ("workbook.md: 02 as shipped (min)", workbook, r"\| (\d+) min \(10 epochs\); (\d+) s with `epochs = 1, limit = 3000`", [until_exercises(b["02"]) / 60, quick["02"]["total"]], None),
            ("workbook.md: 03 as shipped", workbook, r"`03-evaluate` \|[^|]*\| (\d+) s \|", [until_exercises(b["03"])], None),
            ("workbook.md: 04 as shipped", workbook, r"`04-visualize-filters` \|[^|]*\| (\d+) s \|", [until_exercises(b["04"])], None),
            ("workbook.md: 05 as shipped", workbook, r"`05-visualize-feature-maps` \|[^|]*\| (\d+) s \|", [until_exercises(b["05"])], None),
            ("workbook.md: 06 as shipped", workbook, r"`06-why-the-network-decides` \|[^|]*\| (\d+) s \(3 epochs\)", [until_exercises(b["06"])], None),
            ("workbook.md: the workbook as shipped (min)", workbook, r"the article's full run, as a learner runs it: about (\d+) minutes", [sum(until_exercises(x) for x in b.values()) / 60], None),
        ]
        bad = 0
        print(f"{'claim':<52} {'prose says':>16} {'measured':>16} {'ratio':>12}")
        for where, text, pattern, measured, convert in claims:
            match = re.search(pattern, text)
            if not match:
                print(f"{where:<52} NOT FOUND: /{pattern}/"); bad += 1; continue
            said = convert(match.groups()) if convert else [float(g) for g in match.groups()]
            if len(said) != len(measured):
                print(f"{where:<52} {len(said)} numbers in the prose, {len(measured)} measured"); bad += 1; continue
            ratios = [m / s for s, m in zip(said, measured)]
            if where.endswith(("under", "at most")):
                off = [r for r in ratios if r > HIGH]
            elif where.endswith("range"):
                off = [m for m in measured if not min(said) * LOW <= m <= max(said) * HIGH]
            else:
                off = [r for r in ratios if not LOW <= r <= HIGH]
            bad += bool(off)
            print(f"{where:<52} {', '.join(f'{s:g}' for s in said):>16} {', '.join(f'{m:.1f}' for m in measured):>16} "
                  f"{', '.join(f'{r:.2f}' for r in ratios):>12}{'  <- check' if off else ''}")
        print(f"{len(claims)} claims, {bad} outside {LOW}–{HIGH}")
        sys.exit(1 if bad else 0)


subprocess.run(["dotnet", "build", "src/ConvLens.Cli", "-c", "Release", "-v", "q", "-nologo"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
CLI = ROOT / "src" / "ConvLens.Cli" / "bin" / "Release" / "net10.0" / "ConvLens.Cli.dll"
main()
