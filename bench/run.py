"""Run the benchmarks (`make bench`): every ``bench/bench_*.py`` in turn, each to its end whatever
the one before it did, then a summary of their ``bench …`` lines.

    .venv/bin/python bench/run.py                      every benchmark
    .venv/bin/python bench/run.py booking planning     those whose file name holds one of the words

Each script prints its progress and one ``bench <name>: … -> ok|SHORT`` line per figure
(``common.report``). A script that ends with an error, refuses to run (no PostgreSQL, exit 2) or
prints no ``bench`` line counts as failed. The runner exits 1 when any line was SHORT or any
script failed, 0 when every figure was ok.
"""

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scripts(words: list[str], folder: Path = ROOT / "bench") -> list[Path]:
    found = sorted(folder.glob("bench_*.py"))
    return [s for s in found if not words or any(word in s.stem for word in words)]


def run(script: Path) -> tuple[int, list[str], float]:
    """Run one benchmark, passing its output through; (exit status, its bench lines, seconds)."""
    began = time.monotonic()
    process = subprocess.Popen([sys.executable, "-u", str(script)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if line.startswith("bench "):
            lines.append(line.rstrip())
    return process.wait(), lines, time.monotonic() - began


def main(words: list[str], folder: Path = ROOT / "bench") -> int:
    chosen = scripts(words, folder)
    if not chosen:
        print(f"no benchmark matches {' '.join(words)}", file=sys.stderr)
        return 2
    results = []
    for script in chosen:
        print(f"== {script.relative_to(folder.parent)}", flush=True)
        results.append((script, *run(script)))
    print("\n== summary")
    ok = short = failed = 0
    for script, status, lines, seconds in results:
        for line in lines:
            print(line)
        short += sum(line.endswith("-> SHORT") for line in lines)
        ok += sum(line.endswith("-> ok") for line in lines)
        if (status != 0 and not any(line.endswith("-> SHORT") for line in lines)) or not lines:
            failed += 1
            why = "refused to run" if status == 2 else f"exit status {status}" if status else "no bench line"
            print(f"FAILED {script.name}: {why} ({seconds:.0f} s)")
    print(f"{ok} ok, {short} SHORT, {failed} failed, of {len(results)} benchmarks")
    return 1 if short or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
