"""What the benchmark scripts share: timing in interleaved rounds within this process, and one
measurement of time and peak memory in a fresh process pinned to one core."""

import argparse
import random
import subprocess
import sys

import numpy as np

#: The start of every fresh-process measurement: one BLAS thread (set before NumPy is
#: imported), pinned to the last CPU.
_PINNED = """
import os, sys, time
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
cpus = sorted(os.sched_getaffinity(0))
os.sched_setaffinity(0, {cpus[-1]})
import numpy as np
import bptt_book as bb
"""

#: The measurement: VmHWM from /proc/self/status is this process's peak, which a fresh
#: process starts low (ru_maxrss would include the parent's); ``{call}`` is the gradient.
_PEAK = """
def high_water_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = high_water_kib()
start = time.perf_counter()
g = {call}
seconds = time.perf_counter() - start
assert all(np.isfinite(a).all() for a in g)
print(seconds, (high_water_kib() - before) / 1024)
"""


def peak_script(setup, call):
    """The text of a Python program that runs ``setup`` (which reads its settings from
    ``sys.argv`` and may use ``np`` and ``bb``), then times ``call`` (an expression giving a
    gradient) and prints its seconds and the rise of the process's peak memory (MiB)."""
    return _PINNED + setup.strip("\n") + "\n" + _PEAK.lstrip("\n").format(call=call)


def run(script, *args):
    """Run the program ``script`` in a fresh Python process with ``args``; the numbers it
    prints."""
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True,
                          text=True, check=True)
    return [float(v) for v in done.stdout.split()]


def measure_processes(script, configs, repeats):
    """``{config: (median seconds, median extra MiB)}`` of the :func:`peak_script` ``script``
    run with each config's arguments, ``repeats`` fresh processes per config, in an
    interleaved random order."""
    order = [c for c in configs for _ in range(repeats)]
    random.shuffle(order)
    samples = {c: [] for c in configs}
    for c in order:
        samples[c].append(run(script, *c))
    return {c: tuple(float(np.median([s[i] for s in v])) for i in range(2))
            for c, v in samples.items()}


def interleaved(funcs, reps, rounds, *clocks):
    """Time ``funcs`` ({name: function}) in ``rounds`` rounds, a new random order every round,
    calling each ``reps[name]`` times in a row.  Returns, per clock (functions such as
    ``time.perf_counter``), ``{name: [seconds per call, one a round]}``."""
    samples = [{name: [] for name in funcs} for _ in clocks]
    order = list(funcs)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            f, n = funcs[name], reps[name]
            starts = [clock() for clock in clocks]
            for _ in range(n):
                f()
            stops = [clock() for clock in clocks]
            for kept, start, stop in zip(samples, starts, stops, strict=True):
                kept[name].append((stop - start) / n)
    return samples


def arguments(doc, smaller, argv=None):
    """The command line of a fresh-process benchmark whose docstring is ``doc``: ``--quick``
    (``smaller``: what it makes smaller; one repeat), ``--repeats`` and ``--out``.  Returns
    the arguments and the number of repeats."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{smaller}, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="also write the report (Markdown) to this file")
    args = parser.parse_args(argv)
    return args, 1 if args.quick else args.repeats


def publish(lines, out=None):
    """Print the report ``lines`` and, with ``out``, also write it (Markdown) to that file."""
    report = "\n".join(lines)
    print(report)
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(report + "\n")


__all__ = ["arguments", "interleaved", "measure_processes", "peak_script", "publish", "run"]
