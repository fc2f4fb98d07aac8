"""Time the book's experiments: wall clock and CPU time, for one or several worker counts.

Run by hand (it is not a test):

    python benchmarks/bench_experiments.py [--size book] [--workers 1 2] [NAME ...]

Each experiment runs without the cache, once per worker count, the counts interleaved per
experiment, and its results are compared (they must not depend on the count).  CPU time is
the process's own plus that of its pool's workers (read from /proc before the pool is shut
down), so it stays meaningful on a shared machine where the wall clock does not: on an idle
machine with N cores the wall clock of an N-worker run is about CPU / N plus the imbalance
of the last units.  The load average is printed beside each line.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

from bptt_book import experiments  # noqa: E402
from bptt_book.experiments import parallel  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _worker_cpu():
    """CPU seconds used so far by the kept pool's worker processes (Linux /proc)."""
    total = 0.0
    for pool in parallel._kept.values():
        for process in (pool._processes or {}).values():
            try:
                fields = open(f"/proc/{process.pid}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return total


def _cpu():
    t = os.times()
    return t.user + t.system + _worker_cpu()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="experiments (default: every one)")
    parser.add_argument("--size", default="book", choices=experiments.SIZES)
    parser.add_argument("--workers", type=int, nargs="+", default=[parallel.available()])
    args = parser.parse_args()
    names = args.names or list(experiments.EXPERIMENTS)
    print(f"{'experiment':<16}{'workers':>8}{'wall s':>9}{'CPU s':>9}  same  load")
    totals = {w: [0.0, 0.0] for w in args.workers}
    for name in names:
        first = None
        for workers in args.workers:
            parallel._discard()  # each count starts its own pool: spawning is part of the cost
            start, cpu = time.perf_counter(), _cpu()
            result = experiments.run(name, size=args.size, workers=workers, progress=False)
            wall, used = time.perf_counter() - start, _cpu() - cpu
            data = result.data_without_times()
            first = data if first is None else first
            totals[workers][0] += wall
            totals[workers][1] += used
            print(f"{name:<16}{workers:>8}{wall:>9.1f}{used:>9.1f}  {str(data == first):<5} "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    for workers, (wall, used) in totals.items():
        print(f"{'total':<16}{workers:>8}{wall:>9.1f}{used:>9.1f}")


if __name__ == "__main__":
    main()
