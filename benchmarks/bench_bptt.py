"""Benchmark bptt_book.bptt against the tutorial's loop, PyTorch autograd and the forward loss.

Run by hand (it is not a test):  python benchmarks/bench_bptt.py [--quick] [--out FILE]

Honest timing on a shared, noisy machine: one core (this process pins itself to the last
CPU), one BLAS thread (set before NumPy is imported), float64, every contender timed in a
random interleaved order within one process, medians of many rounds, and ratios reported
side by side.  Absolute times drift between runs; the ratios are the result.

This is the benchmark of chapter 4's NumPy code, so ``bb`` runs on the NumPy target here
(``BPTT_BOOK_BACKEND=numpy``, set below, also for the child processes); with the ``fast``
extra installed, one more row, "bptt (exact), compiled", shows the compiled target beside it
(``benchmarks/bench_peers.py`` compares both targets with JAX and PyTorch).  ``--out`` writes
only this script's section of the Markdown file (between its markers) and leaves the rest.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["BPTT_BOOK_BACKEND"] = "numpy"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import sections  # noqa: E402
from _common import interleaved, peak_script, run  # noqa: E402

import bptt_book as bb  # noqa: E402
from bptt_book import backend  # noqa: E402
from bptt_book.reference import bptt_loop  # noqa: E402

try:  # an optional contender
    import torch
except ImportError:  # pragma: no cover
    torch = None


def pin_to_one_core():
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})
    if torch is not None:
        torch.set_num_threads(1)
    return cpus[-1]


def torch_gradient(p, x, y):
    """PyTorch float64 autograd on the same model (tanh RNN, softmax cross-entropy)."""
    U, V, W = (torch.tensor(a, requires_grad=True) for a in p)
    xs, ys = torch.as_tensor(x), torch.as_tensor(y)

    def run():
        for a in (U, V, W):
            a.grad = None
        inputs = U.T[xs]  # (T, H): the columns of U the words pick
        s = torch.zeros(U.shape[0], dtype=U.dtype)
        states = []
        for t in range(len(xs)):
            s = torch.tanh(inputs[t] + W @ s)
            states.append(s)
        logits = torch.stack(states) @ V.T
        torch.nn.functional.cross_entropy(logits, ys, reduction="sum").backward()
        return U.grad, V.grad, W.grad

    return run


def contenders(D, H, T, seed=0, with_loop_exact=False):
    rng = np.random.default_rng(seed)
    p = bb.init_params(D, H, seed=seed)
    x, y = rng.integers(0, D, T), rng.integers(0, D, T)
    c = {
        "bptt (exact)": lambda: bb.bptt(p, x, y),
        "bptt (truncate=4)": lambda: bb.bptt(p, x, y, truncate=4),
        "forward loss": lambda: bb.loss(p, x, y),
        "tutorial loop, truncate=4": lambda: bptt_loop(*p, x, y, 4),
    }
    if with_loop_exact:
        c["tutorial loop, truncate=T (exact)"] = lambda: bptt_loop(*p, x, y, T)
    if backend.installed():
        def compiled():
            with backend.use("numba"):
                return bb.bptt(p, x, y)

        c["bptt (exact), compiled"] = compiled
    if torch is not None:
        c["PyTorch autograd float64"] = torch_gradient(p, x, y)
    return c


def measure(funcs, rounds, min_time=0.2):
    """Median seconds per call of each function, interleaved in random order per round."""
    for f in funcs.values():
        f()  # warm up
    reps = {}
    for name, f in funcs.items():  # calls per round so that each round lasts ~min_time/rounds
        start = time.perf_counter()
        f()
        reps[name] = max(1, int(min_time / rounds / max(time.perf_counter() - start, 1e-9)))
    (samples,) = interleaved(funcs, reps, rounds, time.perf_counter)
    return {name: float(np.median(s)) for name, s in samples.items()}


def table(title, times, base):
    lines = [f"### {title}", "", "| implementation | median ms | time / bptt (exact) |",
             "|---|---:|---:|"]
    for name, seconds in sorted(times.items(), key=lambda kv: kv[1]):
        lines.append(f"| {name} | {seconds * 1e3:.3f} | {seconds / times[base]:.2f} |")
    return "\n".join(lines)


#: One gradient in a fresh process (pinned to the last CPU, as this one is).
LONG_RUN = peak_script("""
D, H, T = (int(a) for a in sys.argv[1:4])
p = bb.init_params(D, H, seed=0)
rng = np.random.default_rng(0)
x, y = rng.integers(0, D, T), rng.integers(0, D, T)
""", "bb.bptt(p, x, y)")


def long_sequence(D, H, T):
    """Seconds and extra peak memory (MiB) of one gradient, in a fresh pinned process."""
    seconds, mib = run(LONG_RUN, D, H, T)
    return seconds, mib


def validation_share(rounds):
    """Time of the argument checks alone against a whole gradient, (8000, 100, 40)."""
    from bptt_book.model import prepare

    rng = np.random.default_rng(0)
    p = bb.init_params(8000, 100, seed=0)
    x, y = rng.integers(0, 8000, 40), rng.integers(0, 8000, 40)
    t = measure({"checks": lambda: prepare(p, x, y), "bptt": lambda: bb.bptt(p, x, y)},
                rounds, min_time=1.0)
    return t["checks"] / t["bptt"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--out", help="also write the report (Markdown) into this file's "
                        "section of this script")
    args = parser.parse_args(argv)
    rounds = 5 if args.quick else 25
    core = pin_to_one_core()
    out = [f"Machine: {platform.processor() or platform.machine()}, pinned to CPU {core}, "
           f"one BLAS thread; NumPy {np.__version__}"
           + (f", PyTorch {torch.__version__}" if torch else ", PyTorch not installed")
           + f"; {rounds} interleaved rounds, medians.", ""]
    checks = []

    t = measure(contenders(8000, 100, 40), rounds, min_time=2.0 if not args.quick else 0.5)
    out += [table("(D, H, T) = (8000, 100, 40): the tutorial's sizes", t, "bptt (exact)"), ""]
    checks.append(("tutorial loop (truncate=4) / bptt (truncate=4) >= 7",
                   t["tutorial loop, truncate=4"] / t["bptt (truncate=4)"]))
    if torch is not None:
        checks.append(("PyTorch autograd float64 / bptt >= 2",
                       t["PyTorch autograd float64"] / t["bptt (exact)"]))
    checks.append(("bptt / forward loss <= 3", t["bptt (exact)"] / t["forward loss"]))
    checks.append(("bptt (truncate=4) / bptt (exact) <= 1 (+5% noise)",
                   t["bptt (truncate=4)"] / t["bptt (exact)"]))

    t = measure(contenders(100, 50, 1000, with_loop_exact=True), max(3, rounds // 3),
                min_time=4.0 if not args.quick else 1.0)
    out += [table("(D, H, T) = (100, 50, 1000): a long sequence", t, "bptt (exact)"), ""]
    checks.append(("tutorial loop exact (truncate=T) / bptt >= 50",
                   t["tutorial loop, truncate=T (exact)"] / t["bptt (exact)"]))
    checks.append(("bptt (truncate=4) / bptt (exact) <= 1 (+5% noise), long sequence",
                   t["bptt (truncate=4)"] / t["bptt (exact)"]))

    lengths = [250, 500, 1000, 2000, 4000]
    p = bb.init_params(100, 50, seed=1)
    rng = np.random.default_rng(1)
    seqs = {T: (rng.integers(0, 100, T), rng.integers(0, 100, T)) for T in lengths}
    funcs = {T: (lambda T=T: bb.bptt(p, *seqs[T])) for T in lengths}
    t = measure(funcs, max(3, rounds // 3), min_time=2.0 if not args.quick else 0.5)
    out += ["### Cost against T at (D, H) = (100, 50)", "", "| T | median ms | µs per step |",
            "|---:|---:|---:|"]
    out += [f"| {T} | {t[T] * 1e3:.2f} | {t[T] / T * 1e6:.2f} |" for T in lengths]
    per_step = [t[T] / T for T in lengths]
    checks.append(("cost per step, longest / shortest T (linear: about 1)",
                   per_step[-1] / per_step[0]))
    share = validation_share(rounds)
    checks.append(("argument checks / bptt at (8000, 100, 40) < 0.05", share))
    out += ["", "### One very long sequence", "",
            "| (D, H, T) | seconds | extra peak memory (MiB) | T x D outputs would take (MiB) |",
            "|---|---:|---:|---:|"]
    for D, H, T in ((100, 50, 100_000), (8000, 100, 100_000)):
        if args.quick and D > 100:
            continue
        seconds, mib = long_sequence(D, H, T)
        out.append(f"| ({D}, {H}, {T:,}) | {seconds:.2f} | {mib:.0f} | {T * D * 8 / 2**20:,.0f} |")
    out += ["", "### Requirements", "", "| ratio | measured |", "|---|---:|"]
    out += [f"| {name} | {value:.2f} |" for name, value in checks]
    report = "\n".join(out)
    print(report)
    if args.out:
        sections.write(args.out, "bench_bptt.py", report)


if __name__ == "__main__":
    main()
