"""What the compiled target costs before it runs: importing Numba, and compiling or loading
the kernels, in fresh processes.

Run by hand (it is not a test), pinned to one core:

    taskset -c 1 python benchmarks/bench_compile.py [--trials N] [--out benchmarks/results.md]

Each trial starts a fresh Numba cache (``NUMBA_CACHE_DIR``, a new temporary folder), then runs
the same child process three times with it: "cold" (every kernel is compiled and written to
the cache), "warm" and "warm again" (the kernels are loaded from the cache).  The child
times ``import bptt_book``, then the first exact gradient of every built-in cell (its default
activation) in float64 and float32, in that order, with ``BPTT_BOOK_BACKEND=numba``.  The
first gradient of a process also pays ``import numba`` and Numba's start-up.  The RNN's other
activations (sigmoid, relu) compile on first use in the same way and are not timed here.
``--out`` rewrites only this script's section of the Markdown file.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

import sections

CHILD = r"""
import json, time
start = time.perf_counter()
import numpy as np
import bptt_book as bb
out = {"import bptt_book": time.perf_counter() - start}
for cell in ("rnn", "gru", "lstm"):
    p64 = bb.init_params(20, 8, cell=cell, seed=0)
    for dtype in ("float64", "float32"):
        p = type(p64)(*(a.astype(dtype) for a in p64))
        start = time.perf_counter()
        bb.bptt(p, [[1, 2, 3], [4, 5, 6]], [[2, 3, 4], [5, 6, 7]])
        out[f"first {cell} gradient, {dtype}"] = time.perf_counter() - start
start = time.perf_counter()
bb.bptt(p, [[1, 2, 3], [4, 5, 6]], [[2, 3, 4], [5, 6, 7]])
out["a second lstm gradient, float32"] = time.perf_counter() - start
print(json.dumps(out))
"""

LABELS = ("cold", "warm", "warm again")


def trial():
    """One fresh cache, the child three times: ``{label: {step: seconds}}``."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               BPTT_BOOK_BACKEND="numba")
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env["NUMBA_CACHE_DIR"] = cache
        out = {}
        for label in LABELS:
            done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                                  text=True, check=True)
            out[label] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def report(trials):
    import numba

    steps = list(trials[0]["cold"])
    head = " | ".join(f"{label} #{i + 1}" for i in range(len(trials)) for label in LABELS)
    lines = ["## The compiled target's start-up (benchmarks/bench_compile.py)", "",
             f"Machine: {platform.processor() or platform.machine()}, CPUs allowed "
             f"{sorted(os.sched_getaffinity(0))}; Numba {numba.__version__}; seconds, each "
             "column a fresh process; a trial starts with an empty Numba cache (cold), then "
             "loads what that run compiled (warm).", "",
             f"| step | {head} |", "|---|" + "---:|" * (len(trials) * len(LABELS))]
    for step in steps:
        values = " | ".join(f"{t[label][step]:.2f}" for t in trials for label in LABELS)
        lines.append(f"| {step} | {values} |")
    total = [sum(v for k, v in t["cold"].items() if k.startswith("first")) for t in trials]
    lines += ["", "Compiling all six (cell, precision) pairs from an empty cache took "
              + " and ".join(f"{s:.0f} s" for s in total) + " in all (the first gradients' "
              "times summed, including Numba's start-up)."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2, help="fresh caches to try")
    parser.add_argument("--out", help="update this Markdown file's section of this script")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    trials = [trial() for _ in range(args.trials)]
    text = report(trials)
    print(text)
    if args.out:
        sections.write(args.out, "bench_compile.py", text)


if __name__ == "__main__":
    main()
