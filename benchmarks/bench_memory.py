"""Peak memory and time of plain BPTT against gradient checkpointing, on long sequences.

Run by hand (it is not a test):  python benchmarks/bench_memory.py [--quick] [--out FILE]

Every measurement is one gradient in a fresh Python process pinned to one core, with one
BLAS thread: its peak resident memory is VmHWM from /proc/self/status (the high-water mark
of the process, which a fresh process starts low; ru_maxrss would include the parent's), read
before and after the gradient, and its time is the wall-clock time of the call.  Each
configuration runs ``--repeats`` times in an interleaved random order; the tables give
medians.  Both gradients are checked equal (relative difference below 1e-10) first.
"""

import os
import platform

import numpy as np
from _common import arguments, measure_processes, peak_script, publish, run

RUN = peak_script("""
cell, D, H, T, checkpoint = sys.argv[1], *(int(a) for a in sys.argv[2:5]), sys.argv[5]
checkpoint = {"False": False, "True": True}[checkpoint] if checkpoint in ("False", "True") \
    else int(checkpoint)
p = bb.init_params(D, H, cell=cell, seed=0)
rng = np.random.default_rng(0)
x, y = rng.integers(0, D, T), rng.integers(0, D, T)
""", "bb.bptt(p, x, y, checkpoint=checkpoint)")

CHECK = """
import sys
import numpy as np
import bptt_book as bb
cell, D, H, T = sys.argv[1], *(int(a) for a in sys.argv[2:5])
p = bb.init_params(D, H, cell=cell, seed=0)
rng = np.random.default_rng(0)
x, y = rng.integers(0, D, T), rng.integers(0, D, T)
a, b = bb.bptt(p, x, y), bb.bptt(p, x, y, checkpoint=True)
print(max(float(np.abs(u - v).max() / np.abs(v).max()) for u, v in zip(a, b)))
"""


def measure(configs, repeats):
    """``{config: (median seconds, median extra MiB)}``, each run in a fresh process."""
    return measure_processes(RUN, configs, repeats)


def label(checkpoint, T):
    if checkpoint == "False":
        return "plain BPTT (every state stored)"
    L = int(np.ceil(np.sqrt(T))) if checkpoint == "True" else int(checkpoint)
    kind = "sqrt(T)" if checkpoint == "True" else "fixed"
    return f"checkpoint every {L} steps ({kind}, {int(np.ceil(T / L))} stored)"


def main(argv=None):
    args, repeats = arguments(__doc__, "smaller T", argv)
    T = 20_000 if args.quick else 100_000
    out = [f"Machine: {platform.processor() or platform.machine()}; one core, one BLAS thread; "
           f"NumPy {np.__version__}; each value the median of {repeats} fresh processes.", ""]
    for cell, D, H in (("rnn", 100, 50), ("lstm", 100, 50), ("rnn", 8000, 100)):
        if args.quick and D > 100:
            continue
        error = run(CHECK, cell, D, H, 2000)[0]
        assert error < 1e-10, error
        configs = [(cell, D, H, T, c) for c in ("False", "True", "100", "1000")]
        result = measure(configs, repeats)
        base_s, base_m = result[configs[0]]
        out += [f"### {cell}, (D, H) = ({D}, {H}), T = {T:,}", "",
                f"Checkpointed and plain gradients agree to {error:.1e} (largest relative "
                "difference, T = 2,000).", "",
                "| gradient | seconds | extra peak memory (MiB) | time / plain | "
                "memory / plain |", "|---|---:|---:|---:|---:|"]
        for c in configs:
            s, m = result[c]
            out.append(f"| {label(c[-1], T)} | {s:.2f} | {m:.1f} | {s / base_s:.2f} | "
                       f"{m / base_m:.3f} |")
        out.append("")
    lengths = [T // 10, T // 3, T]
    configs = [("rnn", 100, 50, n, c) for n in lengths for c in ("False", "True")]
    result = measure(configs, repeats)
    out += ["### Peak memory against T, rnn, (D, H) = (100, 50)", "",
            "| T | plain (MiB) | checkpointed, sqrt(T) (MiB) | plain MiB per 1,000 steps |",
            "|---:|---:|---:|---:|"]
    for n in lengths:
        plain, kept = result[("rnn", 100, 50, n, "False")][1], result[("rnn", 100, 50, n,
                                                                        "True")][1]
        out.append(f"| {n:,} | {plain:.1f} | {kept:.1f} | {plain / n * 1000:.2f} |")
    publish(out, args.out)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
