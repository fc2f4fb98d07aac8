"""Benchmark the two ways of computing dE/dV that chapter 4 compares.

Run by hand (it is not a test):  python benchmarks/bench_column_major.py [--rounds N]

The derivation gives dV = Do.T @ S, a (D, T) by (T, H) product; the generator prints it as
(S.T @ Do).T, an (H, T) by (T, D) product whose transpose is the same matrix stored
column-major (bptt_book.derivation.generate.column_major).  Both are timed at the tutorial's
D = 8000, H = 100 for a sentence of 40 words and for a block of bptt_book.model.CHUNK steps,
on one core with one BLAS thread, in a random interleaved order, medians of many rounds; the
ratio is the result.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from bptt_book.model import CHUNK  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})
    D, H = 8000, 100
    rng = np.random.default_rng(0)
    print(f"NumPy {np.__version__}, one core, one BLAS thread, {args.rounds} interleaved rounds")
    print("| T | Do.T @ S (ms) | (S.T @ Do).T (ms) | ratio |")
    print("|---:|---:|---:|---:|")
    for T in (40, CHUNK):
        Do, S = rng.normal(size=(T, D)), rng.normal(size=(T, H))
        assert np.allclose(Do.T @ S, (S.T @ Do).T)
        contenders = {"row": lambda Do=Do, S=S: Do.T @ S,
                      "column": lambda Do=Do, S=S: (S.T @ Do).T}
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.rounds):
            order = list(contenders)
            random.shuffle(order)
            for name in order:
                start = time.perf_counter()
                contenders[name]()
                times[name].append(time.perf_counter() - start)
        row, column = (1e3 * float(np.median(times[n])) for n in ("row", "column"))
        print(f"| {T} | {row:.3f} | {column:.3f} | {row / column:.2f} |")


if __name__ == "__main__":
    main()
