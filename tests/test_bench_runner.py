"""`make bench` runs every benchmark to its end, then sums them up, and fails if any fell short or failed."""

import importlib.util
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def runner():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench(folder: Path, name: str, body: str) -> None:
    (folder / f"bench_{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")


def test_every_benchmark_runs_even_after_one_is_short_or_fails_and_the_run_fails_at_the_end(tmp_path, capsys):
    folder = tmp_path / "bench"
    folder.mkdir()
    bench(folder, "a_short", 'print("bench a: 1 x, 0.40x vs b, target >= 0.5x -> SHORT")\nraise SystemExit(1)\n')
    bench(folder, "b_crash", 'raise RuntimeError("the database went away")\n')
    bench(folder, "c_ok", 'print("  measuring")\nprint("bench c: 2 x, 3.00x vs d, target >= 1x -> ok")\n')
    assert runner().main([], folder) == 1
    out = capsys.readouterr().out
    assert "measuring" in out and "RuntimeError" in out  # each ran, its output passed through
    summary = [re.sub(r"\(\d+ s\)", "(… s)", line) for line in out.split("== summary", 1)[1].splitlines()[1:]]
    assert summary == [
        "bench a: 1 x, 0.40x vs b, target >= 0.5x -> SHORT",
        "FAILED bench_b_crash.py: exit status 1 (… s)",
        "bench c: 2 x, 3.00x vs d, target >= 1x -> ok",
        "1 ok, 1 SHORT, 1 failed, of 3 benchmarks",
    ]


def test_a_run_where_every_figure_is_ok_succeeds_and_words_choose_the_benchmarks(tmp_path, capsys):
    folder = tmp_path / "bench"
    folder.mkdir()
    bench(folder, "fast", 'print("bench fast: 2 x, 3.00x vs d, target >= 1x -> ok")\n')
    bench(folder, "slow", 'print("bench slow: 1 x, 0.10x vs d, target >= 1x -> SHORT")\nraise SystemExit(1)\n')
    assert runner().main(["fast"], folder) == 0
    assert "bench slow" not in capsys.readouterr().out
    assert runner().main(["nothing"], folder) == 2
