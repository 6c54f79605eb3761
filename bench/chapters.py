#!/usr/bin/python3
"""Benchmark: the chapters (notebooks/NN-name.cs, run with dotnet run) against the same notebooks in the notebook host.

    bench/chapters.py            # every chapter with the workbook's short parameters (about 5 minutes on 2 cores)
    FULL=1 bench/chapters.py     # as shipped: 02 trains 10 epochs (about 10 minutes)

For each chapter, in one run: the seconds to its first cell's output and in all, after an edit (the chapter's file
touched, so dotnet run rebuilds it; the library is already built) and on a rerun of the unchanged file; its peak
memory (the largest process, from GNU time); its page's size; and the same notebook run by './convlens workbook',
with the ratio chapter / notebook. Models go to a temporary folder, never over the one notebook 02 saved for you.
Not part of CI.
"""
import os, pathlib, re, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUICK = {"epochs": "1", "limit": "3000", "maximizeSteps": "30"}
FULL = os.environ.get("FULL") == "1"
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.cs"))


def declared(name):
    text = (ROOT / "notebooks" / f"{name}.cs").read_text()
    return re.findall(r'Parameter(?:<[\w.?]+>)?\("(\w+)"', text)


def run_chapter(name, env, pages):
    args = [] if FULL else [f"{k}={v}" for k, v in QUICK.items() if k in declared(name)]
    command = ["/usr/bin/time", "-f", "peak %M", "dotnet", "run", f"notebooks/{name}.cs", "--", *args, f"output={pages}"]
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = None
    output = []
    for line in process.stdout:
        output.append(line)
        if first is None and line.startswith("-- ["):
            first = time.monotonic() - start
    stderr = process.stderr.read()
    if process.wait() != 0:
        sys.exit(f"{name} failed:\n{''.join(output)}{stderr}")
    peak = int(re.search(r"peak (\d+)", stderr).group(1)) / 1024
    return first, time.monotonic() - start, peak


def run_notebook(name, env, out):
    cli = str(ROOT / "src" / "ConvLens.Cli" / "bin" / "Release" / "net10.0" / "ConvLens.Cli.dll")
    args = [] if FULL else [a for k, v in QUICK.items() if k in declared(name) for a in ("-p", f"{k}={v}")]
    start = time.monotonic()
    result = subprocess.run(["dotnet", cli, "workbook", "--output", out, *args, name[:2]], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"notebook {name} failed:\n{result.stdout}{result.stderr}")
    return time.monotonic() - start


subprocess.run(["dotnet", "build", "src/ConvLens.Cli", "-c", "Release", "-v", "q", "-nologo"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
with tempfile.TemporaryDirectory() as folder:
    env = dict(os.environ, CONVLENS_NOTEBOOK_CHECKPOINT=os.path.join(folder, "model", "convnet"))
    pages = os.path.join(folder, "pages")
    print(f"{'chapter':28} {'edited: first out / all':>24} {'rerun: first out / all':>23} {'peak':>8} {'page':>8} {'notebook':>9} {'ratio':>6}")
    for name in CHAPTERS:
        (ROOT / "notebooks" / f"{name}.cs").touch()
        first_edit, all_edit, _ = run_chapter(name, env, pages)
        first_rerun, all_rerun, peak = run_chapter(name, env, pages)
        notebook = run_notebook(name, env, os.path.join(folder, "notebooks"))
        size = os.path.getsize(os.path.join(pages, f"{name}.html")) / 2**20
        print(f"{name:28} {first_edit:10.1f} s / {all_edit:6.1f} s {first_rerun:10.1f} s / {all_rerun:6.1f} s "
              f"{peak:5.0f} MiB {size:5.1f} MB {notebook:7.1f} s {all_rerun / notebook:6.2f}")
