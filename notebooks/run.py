#!/usr/bin/python3
"""Runs the workbook's notebooks in order, headless, in the real .NET Interactive host (the engine VS Code and
Jupyter use), through Jupyter's own client (Debian: jupyter-nbconvert, python3-nbclient). Executed copies, with
their outputs, go to artifacts/notebooks/; the first cell error stops the run with a non-zero exit.

    notebooks/run.py                       # the article's full run (10 epochs in 02)
    notebooks/run.py --quick               # short: 1 epoch on 3000 images, as CI runs it
    notebooks/run.py -p epochs=3 05        # parameters, papermill style; only notebooks whose names start with 05
    notebooks/run.py --timings 05          # seconds from kernel start to each cell's end

Parameters follow papermill's convention: a cell tagged "parameters" declares them, and a cell tagged
"injected-parameters" that sets the given values is inserted after it.
"""
import argparse, atexit, json, os, pathlib, random, shutil, subprocess, sys, tempfile, time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "artifacts" / "notebooks"   # --output changes it
KERNEL = ".net-csharp"
QUICK = {"epochs": "1", "limit": "3000", "maximizeSteps": "30"}


def kernelspec():
    """A kernelspec of our own for the pinned local tool (dotnet tool restore), in a folder only this run uses.
    Its HTTP services (used by the VS Code extension) listen on this machine only."""
    # The host's HTTP port is free-for-all from 2048 up, and two hosts starting at once (a test run beside an editor)
    # can both take it; a random range per run keeps them apart.
    start = random.randrange(20000, 60000, 100)
    home = pathlib.Path(tempfile.mkdtemp(prefix="convlens-kernelspec-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    folder = home / "kernels" / KERNEL
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": ["dotnet", "interactive", "jupyter", "--default-kernel", "csharp", "--http-local-only",
                 "--http-port-range", f"{start}-{start + 99}", "{connection_file}"],
        "display_name": ".NET (C#)", "language": "C#"}, indent=1))
    os.environ.setdefault("Logging__LogLevel__Default", "Warning")   # the host's web-server start-up lines
    os.environ["JUPYTER_PATH"] = str(folder.parent.parent) + os.pathsep + os.environ.get("JUPYTER_PATH", "")


def inject(nb, parameters):
    if not parameters:
        return
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        return
    declared = "".join(nb.cells[index].source)
    source = "// Injected by notebooks/run.py\n" + "".join(
        f"{name} = {value};\n" for name, value in parameters.items() if f" {name} =" in declared)
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"],
                                                       "dotnet_interactive": {"language": "csharp"},
                                                       "polyglot_notebook": {"kernelName": "csharp"}})
    nb.cells.insert(index + 1, cell)


def edit(nb, edits):
    """Replaces text in code cells, as a reader editing a cell would; each edit must match somewhere in the run."""
    for old, new in edits:
        for cell in nb.cells:
            if cell.cell_type == "code" and old in "".join(cell.source):
                cell.source = "".join(cell.source).replace(old, new)
                edits_matched.add(old)


edits_matched = set()


def run(path, parameters, timings, edits=()):
    nb = nbformat.read(path, as_version=4)
    inject(nb, parameters)
    edit(nb, edits)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=1800, resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    marks = []
    original = client.async_execute_cell

    async def timed(cell, index, **kwargs):
        result = await original(cell, index, **kwargs)
        marks.append((index, time.perf_counter() - start, cell))
        return result

    client.async_execute_cell = timed
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        client.execute()
        ok = True
    except CellExecutionError:
        ok = False
        for index, cell in enumerate(nb.cells):
            outputs = cell.get("outputs", [])
            if any(o.get("output_type") == "error" for o in outputs):
                print(f"error in cell {index} of {path.name}:\n    " + "    ".join("".join(cell.source).splitlines(True)[:6]), file=sys.stderr)
                for o in outputs:
                    text = "".join(o.get("text", "")) if o.get("output_type") == "stream" else o.get("evalue", "")
                    if text.strip():
                        print("  → " + text.strip(), file=sys.stderr)
                break
    nbformat.write(nb, OUT / path.name)
    seconds = time.perf_counter() - start
    print(f"{'ok  ' if ok else 'FAIL'} {path.name}: {seconds:.1f} s → {OUT / path.name}", flush=True)
    if timings:
        for index, at, cell in marks:
            html = any("Plotly.newPlot" in "".join(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", []))
            print(f"    cell {index:2}: {at:6.1f} s{'  (chart)' if html else ''}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="run only the notebooks whose names start with these")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--quick", action="store_true", help="short run for CI: " + ", ".join(f"{k}={v}" for k, v in QUICK.items()))
    parser.add_argument("--timings", action="store_true")
    parser.add_argument("--edit", action="append", default=[], metavar="OLD=>NEW",
                        help="replace OLD by NEW in the code cells before running, e.g. to change the architecture cell")
    parser.add_argument("--output", help="folder for the executed copies (default artifacts/notebooks)")
    parser.add_argument("--no-build", action="store_true", help="skip 'dotnet tool restore' and the library build")
    args = parser.parse_args()
    global OUT
    if args.output:
        OUT = pathlib.Path(args.output).resolve()
    parameters = dict(QUICK) if args.quick else {}
    parameters.update(p.split("=", 1) for p in args.parameter)

    if not args.no_build:
        subprocess.run(["dotnet", "tool", "restore"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["dotnet", "build", "src/ConvLens", "-c", "Release", "-v", "q", "-nologo"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    kernelspec()
    paths = sorted(p for p in NOTEBOOKS.glob("[0-9]*.ipynb") if not args.only or any(p.name.startswith(o) for o in args.only))
    if not paths:
        sys.exit("no notebooks matched")
    edits = [tuple(e.split("=>", 1)) for e in args.edit]
    for path in paths:
        if not run(path, parameters, args.timings, edits):
            sys.exit(1)
    unmatched = [old for old, _ in edits if old not in edits_matched]
    if unmatched:
        sys.exit(f"--edit matched no cell: {unmatched}")


if __name__ == "__main__":
    main()
