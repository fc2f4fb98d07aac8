"""Time and peak memory of RTRL against BPTT as the sequence length T and the hidden size H grow.

Run by hand (it is not a test):  python benchmarks/bench_rtrl.py [--quick] [--out FILE]

Each measurement is one exact gradient (bb.rtrl or bb.bptt) of the plain RNN (D = 10 words) in
a fresh Python process pinned to one core with one BLAS thread; peak memory is the rise of
VmHWM over the call (as in bench_memory.py), time is wall-clock.  Each configuration runs
``--repeats`` times in an interleaved random order; the tables give medians.  The two
gradients are checked equal (relative difference below 1e-9) first.
"""

import platform

import numpy as np
from _common import arguments, measure_processes, peak_script, publish, run

RUN = peak_script("""
method, D, H, T = sys.argv[1], *(int(a) for a in sys.argv[2:5])
p = bb.init_params(D, H, seed=0)
rng = np.random.default_rng(0)
x, y = rng.integers(0, D, T), rng.integers(0, D, T)
function = {"bptt": bb.bptt, "rtrl": bb.rtrl}[method]
""", "function(p, x, y)")

CHECK = """
import numpy as np
import bptt_book as bb
p = bb.init_params(10, 16, seed=0)
rng = np.random.default_rng(0)
x, y = rng.integers(0, 10, (2, 50)), rng.integers(0, 10, (2, 50))
a, b = bb.rtrl(p, x, y), bb.bptt(p, x, y)
print(max(float(np.abs(u - v).max() / np.abs(v).max()) for u, v in zip(a, b)))
"""


def measure(configs, repeats):
    """``{config: (median seconds, median extra MiB)}``, each run in a fresh process."""
    return measure_processes(RUN, configs, repeats)


def table(title, axis, values, result, fixed):
    D, H, T = fixed
    lines = [f"### {title}", "",
             f"| {axis} | BPTT s | RTRL s | RTRL / BPTT time | BPTT MiB | RTRL MiB |",
             "|---:|---:|---:|---:|---:|---:|"]
    for v in values:
        key = (D, v, T) if axis == "H" else (D, H, v)
        (bs, bm), (rs, rm) = result[("bptt", *key)], result[("rtrl", *key)]
        lines.append(f"| {v:,} | {bs:.4f} | {rs:.3f} | {rs / bs:,.0f} | {bm:.1f} | {rm:.1f} |")
    return lines + [""]


def main(argv=None):
    args, repeats = arguments(__doc__, "smaller sizes", argv)
    error = run(CHECK)[0]
    assert error < 1e-9, error
    D = 10
    Ts = [100, 1000, 10_000] if args.quick else [100, 1000, 10_000, 30_000]
    Hs = [16, 32, 64] if args.quick else [16, 32, 64, 128]
    H0, T0 = 16, 200
    configs = [(m, D, H0, T) for T in Ts for m in ("bptt", "rtrl")]
    configs += [(m, D, H, T0) for H in Hs for m in ("bptt", "rtrl")]
    result = measure(configs, repeats)
    out = [f"Machine: {platform.processor() or platform.machine()}; one core, one BLAS thread; "
           f"NumPy {np.__version__}; plain RNN, D = {D}; each value the median of {repeats} "
           f"fresh processes. RTRL and BPTT agree to {error:.1e} (largest relative difference).",
           ""]
    out += table(f"Against T (H = {H0})", "T", Ts, result, (D, H0, None))
    out += table(f"Against H (T = {T0:,})", "H", Hs, result, (D, None, T0))
    publish(out, args.out)


if __name__ == "__main__":
    main()
