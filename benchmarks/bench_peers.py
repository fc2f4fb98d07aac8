"""Benchmark bptt_book.bptt beside its peers: JAX and PyTorch, on the same weights and inputs.

Run by hand (it is not a test), pinned to one core:

    taskset -c 1 python benchmarks/bench_peers.py [--quick] [--out benchmarks/results.md]

Dependencies, both optional (a missing one is skipped with a note in the report):

* JAX: ``pip install -e ".[bench]"``.
* PyTorch: NOT in the extra; install exactly ``pip install torch==2.13.0`` (that version comes
  from a local file on the project's machines; any other version downloads gigabytes of CUDA).

What is compared, for each cell (``rnn``, ``gru``, ``lstm``), size (D, H, T) and precision: the
gradient of the summed loss ``sum_t -log yhat_t[y_t]`` with ``yhat_t = softmax(V h_t)`` over a
sequence of one-hot words, with respect to every weight.

* ``bb.bptt (NumPy)`` and ``bb.bptt (compiled)``: the exact gradient (no truncation) on each
  of the package's two targets (:mod:`bptt_book.backend`): the NumPy reference, and the Numba
  kernels printed from the same derivation (``pip install -e ".[fast]"``; without it the
  compiled row is skipped with a note).  The first call, which compiles or loads the kernels,
  is not timed.
* ``JAX``: ``jax.jit(jax.grad(loss))`` with the recurrence in ``lax.scan`` and float64 enabled;
  the input projection ``U x_t`` is gathered for all steps before the scan, as one would write it.
* ``PyTorch autograd``: the same loss written step by step with torch operations (the columns
  of U gathered), ``backward()``.
* ``PyTorch nn.RNN/GRU/LSTM``: the library module with the weights copied in, fed the one-hot
  input as a dense (T, D) tensor (the module multiplies it out), ``backward()``.

The cells follow torch.nn semantics: U is ``weight_ih_l0`` (k·H, D), W is ``weight_hh_l0``
(k·H, H), bU and bW are ``bias_ih_l0`` and ``bias_hh_l0``; GRU blocks r, z, n with
``n = tanh(U_n x + bU_n + r * (W_n h + bW_n))`` and ``h' = (1 - z) n + z h``; LSTM blocks i, f, g,
o with ``c' = f c + i g`` and ``h' = o tanh(c')``.  The plain RNN has no biases (as the book's).

Before anything is timed, every contender's gradient is compared with a reference (JAX when
present, else PyTorch autograd): float64 within ``rtol=1e-9`` (plus ``atol = 1e-12 max|g|``
for entries that cancel to nearly zero); float32 against the float64 reference, within
``2e-3 max|g|`` per weight.  Timing: one thread everywhere (set before the libraries load), the
contenders of one configuration timed in a random interleaved order, round after round, in
one process; the clock is the process's CPU time (the machine is shared: waiting for the
core is not work), the wall clock reported beside it; medians, and ratios peer / bb (above 1:
bb is faster), for each of bb's two targets.  ``--out`` rewrites only this script's section of
the Markdown file (between its markers, :mod:`sections`) and leaves the rest alone.
``--repeat N`` measures every configuration N times (on a shared machine a configuration can
be disturbed as a whole) and reports, per configuration, the run whose compiled-bb time is the
median.

Adding a cell: one entry in ``CELLS`` and one step function per framework (``_jax_step``,
``_torch_step``), plus its torch.nn module in ``_torch_module``.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import sections  # noqa: E402
from _common import interleaved  # noqa: E402

import bptt_book as bb  # noqa: E402
from bptt_book import backend  # noqa: E402

try:  # optional contender
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover
    jax = None

try:  # optional contender
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

#: cell -> (number of gate blocks k, whether it has biases, name of its bb params class)
CELLS = {
    "rnn": (1, False, "Params"),
    "gru": (3, True, "GRUParams"),
    "lstm": (4, True, "LSTMParams"),
}
SIZES = [(8000, 100, 40), (100, 50, 1000), (65, 100, 25)]
DTYPES = ["float64", "float32"]
#: bb's two targets: report name -> backend name
PATHS = {"bb.bptt (NumPy)": "numpy", "bb.bptt (compiled)": "numba"}


def weight_names(cell):
    return ("U", "V", "W", "bU", "bW") if CELLS[cell][1] else ("U", "V", "W")


def problem(cell, D, H, T, seed=0):
    """float64 weights, uniform in ±1/√H (±1/√D for U, as the book's init), and the words."""
    k = CELLS[cell][0]
    rng = np.random.default_rng(seed)
    w = {"U": rng.uniform(-1, 1, (k * H, D)) / np.sqrt(D),
         "V": rng.uniform(-1, 1, (D, H)) / np.sqrt(H),
         "W": rng.uniform(-1, 1, (k * H, H)) / np.sqrt(H)}
    if CELLS[cell][1]:
        w["bU"] = rng.uniform(-1, 1, k * H) / np.sqrt(H)
        w["bW"] = rng.uniform(-1, 1, k * H) / np.sqrt(H)
    x, y = rng.integers(0, D, T), rng.integers(0, D, T)
    return w, x, y


# --- bptt_book ------------------------------------------------------------------------------


def bb_contender(cell, w, x, y, path="numpy"):
    """``bb.bptt`` on the cell's params with the backend ``path`` ("numpy" or "numba"), or
    None when the package has no such cell yet."""
    cls = getattr(bb, CELLS[cell][2], None)
    if cls is None:
        return None
    params = cls(*(w[n] for n in weight_names(cell)))

    def run():
        with backend.use(path):
            g = bb.bptt(params, x, y)
        return {n: getattr(g, n) for n in weight_names(cell)}

    return run


# --- JAX --------------------------------------------------------------------------------------


def _jax_step(cell, W, bW):
    """The scan body ``(carry, U x_t + bU) -> (carry', h_t)`` of one cell."""
    H = W.shape[1]
    sig = jax.nn.sigmoid
    if cell == "rnn":
        def step(h, gi):
            h = jnp.tanh(gi + W @ h)
            return h, h
    elif cell == "gru":
        def step(h, gi):
            gh = W @ h + bW
            r = sig(gi[:H] + gh[:H])
            z = sig(gi[H:2 * H] + gh[H:2 * H])
            n = jnp.tanh(gi[2 * H:] + r * gh[2 * H:])
            h = (1 - z) * n + z * h
            return h, h
    else:
        def step(hc, gi):
            h, c = hc
            a = gi + W @ h + bW
            i, f, o = sig(a[:H]), sig(a[H:2 * H]), sig(a[3 * H:])
            c = f * c + i * jnp.tanh(a[2 * H:3 * H])
            h = o * jnp.tanh(c)
            return (h, c), h
    return step


def jax_contender(cell, w, x, y, dtype):
    names = weight_names(cell)
    T = len(x)

    def loss(p, x, y):
        H = p["W"].shape[1]
        gi = p["U"].T[x] + (p["bU"] if "bU" in p else 0)
        h0 = jnp.zeros(H, p["W"].dtype)
        carry = (h0, h0) if cell == "lstm" else h0
        _, hs = jax.lax.scan(_jax_step(cell, p["W"], p.get("bW")), carry, gi)
        logits = hs @ p["V"].T
        return jnp.sum(jax.nn.logsumexp(logits, axis=1) - logits[jnp.arange(T), y])

    grad = jax.jit(jax.grad(loss))
    p = {n: jnp.asarray(w[n].astype(dtype)) for n in names}
    xj, yj = jnp.asarray(x), jnp.asarray(y)

    def run():
        g = grad(p, xj, yj)
        jax.block_until_ready(g)
        return g

    return run


# --- PyTorch ----------------------------------------------------------------------------------


def _torch_step(cell, W, bW):
    H = W.shape[1]
    if cell == "rnn":
        def step(state, gi):
            return torch.tanh(gi + W @ state)
    elif cell == "gru":
        def step(h, gi):
            gh = W @ h + bW
            r = torch.sigmoid(gi[:H] + gh[:H])
            z = torch.sigmoid(gi[H:2 * H] + gh[H:2 * H])
            n = torch.tanh(gi[2 * H:] + r * gh[2 * H:])
            return (1 - z) * n + z * h
    else:
        def step(hc, gi):
            h, c = hc
            a = gi + W @ h + bW
            i, f = torch.sigmoid(a[:H]), torch.sigmoid(a[H:2 * H])
            o = torch.sigmoid(a[3 * H:])
            c = f * c + i * torch.tanh(a[2 * H:3 * H])
            return o * torch.tanh(c), c
    return step


def torch_autograd_contender(cell, w, x, y, dtype):
    names = weight_names(cell)
    p = {n: torch.tensor(w[n].astype(dtype), requires_grad=True) for n in names}
    xs, ys = torch.as_tensor(x), torch.as_tensor(y)

    def run():
        for a in p.values():
            a.grad = None
        H = p["W"].shape[1]
        gi = p["U"].T[xs] + (p["bU"] if "bU" in p else 0)
        step = _torch_step(cell, p["W"], p.get("bW"))
        h = torch.zeros(H, dtype=p["W"].dtype)
        state = (h, h) if cell == "lstm" else h
        hs = []
        for t in range(len(xs)):
            state = step(state, gi[t])
            hs.append(state[0] if cell == "lstm" else state)
        logits = torch.stack(hs) @ p["V"].T
        torch.nn.functional.cross_entropy(logits, ys, reduction="sum").backward()
        return {n: p[n].grad for n in names}

    return run


def _torch_module(cell, D, H):
    if cell == "rnn":
        return torch.nn.RNN(D, H, bias=False, nonlinearity="tanh")
    return {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](D, H)


def torch_module_contender(cell, w, x, y, dtype):
    names = weight_names(cell)
    D, H = w["V"].shape
    tdtype = getattr(torch, dtype)
    module = _torch_module(cell, D, H).to(tdtype)
    own = {"U": "weight_ih_l0", "W": "weight_hh_l0", "bU": "bias_ih_l0", "bW": "bias_hh_l0"}
    with torch.no_grad():
        for n, attr in own.items():
            if n in w:
                getattr(module, attr).copy_(torch.as_tensor(w[n]))
    V = torch.tensor(w["V"].astype(dtype), requires_grad=True)
    onehot = torch.nn.functional.one_hot(torch.as_tensor(x), D).to(tdtype)  # (T, D) unbatched
    ys = torch.as_tensor(y)
    weights = {n: getattr(module, attr) for n, attr in own.items() if n in w} | {"V": V}

    def run():
        for a in weights.values():
            a.grad = None
        hs, _ = module(onehot)
        logits = hs @ V.T
        torch.nn.functional.cross_entropy(logits, ys, reduction="sum").backward()
        return {n: weights[n].grad for n in names}

    return run


# --- the comparison ---------------------------------------------------------------------------


def contenders(cell, D, H, T, dtype):
    """name -> zero-argument function returning {weight name: gradient}, and skip notes."""
    w, x, y = problem(cell, D, H, T)
    funcs, notes = {}, []
    wd = {n: a.astype(dtype) for n, a in w.items()}
    for name, path in PATHS.items():
        if path == "numba" and not backend.installed():
            notes.append(f"{name}: Numba and SciPy not installed (`pip install -e \".[fast]\"`)")
            continue
        run = bb_contender(cell, wd, x, y, path)
        if run is None:
            notes.append(f"{name}: no `bb.{CELLS[cell][2]}` in this version of the package")
        else:
            funcs[name] = run
    if jax is not None:
        funcs["JAX"] = jax_contender(cell, w, x, y, dtype)
    else:
        notes.append("JAX: not installed (`pip install -e \".[bench]\"`)")
    if torch is not None:
        funcs["PyTorch autograd"] = torch_autograd_contender(cell, w, x, y, dtype)
        funcs[f"PyTorch nn.{cell.upper()}"] = torch_module_contender(cell, w, x, y, dtype)
    else:
        notes.append("PyTorch: not installed (`pip install torch==2.13.0`)")
    return funcs, notes


def _numpy(g):
    return {n: np.asarray(a.detach() if hasattr(a, "detach") else a) for n, a in g.items()}


def reference_gradient(cell, D, H, T):
    """The float64 gradient of the first peer available (JAX, else PyTorch autograd)."""
    w, x, y = problem(cell, D, H, T)
    if jax is not None:
        return _numpy(jax_contender(cell, w, x, y, "float64")())
    if torch is not None:
        return _numpy(torch_autograd_contender(cell, w, x, y, "float64")())
    return None


def check_agreement(funcs, ref, dtype):
    """Raise AssertionError unless every contender's gradient matches ``ref`` (float64)."""
    if ref is None:
        return
    for name, f in funcs.items():
        got = _numpy(f())
        for n, r in ref.items():
            a = got[n]
            assert a.shape == r.shape, (name, n, a.shape, r.shape)
            assert a.dtype == np.dtype(dtype), (name, n, a.dtype)
            scale = np.abs(r).max()
            if dtype == "float64":
                np.testing.assert_allclose(a, r, rtol=1e-9, atol=1e-12 * scale,
                                           err_msg=f"{name}: d{n}")
            else:
                err = np.abs(a.astype(np.float64) - r).max() / scale
                assert err <= 2e-3, f"{name}: d{n} float32 error {err:.2e} of max|g|"


def measure(funcs, rounds, seconds):
    """Per contender: median CPU seconds per call, its interquartile spread / median, and the
    median wall-clock seconds; the contenders interleaved in a random order every round.

    The clock is this process's CPU time (all its threads: XLA runs its computation on a
    thread of its own): on a machine shared with other jobs, time spent waiting for the core
    is not counted against a contender.  The wall clock is reported beside it as a check.
    Each round calls every contender ``n`` times in a row (``n`` chosen so that its share of
    a round lasts about ``seconds / rounds / len(funcs)``).
    """
    reps = {}
    for name, f in funcs.items():
        f()  # warm (JIT compile, caches, allocator)
        start = time.process_time()
        f()
        once = max(time.process_time() - start, 1e-7)
        reps[name] = max(1, int(seconds / rounds / len(funcs) / once))
    cpu, wall = interleaved(funcs, reps, rounds, time.process_time, time.perf_counter)
    out = {}
    for name, s in cpu.items():
        q1, med, q3 = np.percentile(s, [25, 50, 75])
        out[name] = (float(med), float((q3 - q1) / med), float(np.median(wall[name])))
    return out


def run_all(cells, sizes, dtypes, rounds, seconds, repeat=1, log=print):
    rows, notes = [], set()
    for cell in cells:
        for D, H, T in sizes:
            ref = reference_gradient(cell, D, H, T)
            for dtype in dtypes:
                funcs, skipped = contenders(cell, D, H, T, dtype)
                notes.update(skipped)
                check_agreement(funcs, ref, dtype)
                budget = seconds * (2 if T >= 1000 else 1)
                runs = []
                for _ in range(repeat):
                    times = measure(funcs, rounds, budget)
                    runs.append(times)
                    log(f"{cell} {(D, H, T)} {dtype}: " + ", ".join(
                        f"{n} {m * 1e3:.3f} ms ±{s:.0%}" for n, (m, s, _) in times.items()))
                key = "bb.bptt (compiled)" if "bb.bptt (compiled)" in funcs else None
                if key is not None:  # the run whose compiled time is the median
                    runs.sort(key=lambda t: t[key][0])
                rows.append(((cell, (D, H, T), dtype), runs[(len(runs) - 1) // 2]))
    return rows, sorted(notes)


def report(rows, notes, rounds, repeat=1):
    versions = [f"NumPy {np.__version__}"]
    if backend.installed():
        import numba
        import scipy

        versions.append(f"Numba {numba.__version__}, SciPy {scipy.__version__}")
    versions.append(f"JAX {jax.__version__}" if jax else "JAX not installed")
    versions.append(f"PyTorch {torch.__version__}" if torch else "PyTorch not installed")
    cpus = sorted(os.sched_getaffinity(0))
    runs = f"; each configuration measured {repeat} times, the run with the median compiled " \
        "time reported" if repeat > 1 else ""
    out = ["## Peers: JAX and PyTorch beside `bb.bptt` (benchmarks/bench_peers.py)", "",
           f"Machine: {platform.processor() or platform.machine()}, CPUs allowed {cpus}, one "
           f"thread everywhere; {', '.join(versions)}; {rounds} interleaved rounds per "
           f"configuration, medians{runs}. Gradients checked against the float64 reference "
           "before timing. bb's two targets: the NumPy reference and the compiled kernels "
           "(Numba, the `fast` extra; `BPTT_BOOK_BACKEND`).", ""]
    peers = ["JAX", "PyTorch autograd"]
    out += ["### Ratios: peer time / `bb.bptt` time (above 1: bb is faster)", "",
            "| cell | (D, H, T) | dtype | bb target | JAX / bb | PyTorch autograd / bb | "
            "PyTorch nn / bb |",
            "|---|---|---|---|---:|---:|---:|"]
    goals = {name: [] for name in PATHS}
    for (cell, size, dtype), t in rows:
        module = f"PyTorch nn.{cell.upper()}"
        for name in PATHS:
            if name not in t:
                continue
            bbt = t[name][0]
            cells_ = [f"{t[n][0] / bbt:.2f}" if n in t else "–" for n in peers + [module]]
            target = name.split("(")[1].rstrip(")")
            out.append(f"| {cell} | {size} | {dtype} | {target} | " + " | ".join(cells_) + " |")
            if "JAX" in t:
                goals[name].append(t["JAX"][0] / bbt >= 1.0)
            goals[name] += [t[n][0] / bbt >= 2.0 for n in ("PyTorch autograd", module) if n in t]
    for name, met in goals.items():
        if met:
            out += ["", f"Goal (issue 16: ≥ 1.0× JAX and ≥ 2× PyTorch), {name}: met in "
                    f"{sum(met)} of {len(met)} comparisons."]
    out += ["", "### Times (ms per gradient, medians; CPU time of the process, wall clock beside "
            "it; spread = interquartile range / median of the CPU times)", "",
            "| cell | (D, H, T) | dtype | contender | CPU ms | spread | wall ms |",
            "|---|---|---|---|---:|---:|---:|"]
    for (cell, size, dtype), t in rows:
        for name, (med, spread, wall) in sorted(t.items(), key=lambda kv: kv[1][0]):
            out.append(f"| {cell} | {size} | {dtype} | {name} | {med * 1e3:.3f} | "
                       f"{spread:.0%} | {wall * 1e3:.3f} |")
    if notes:
        out += ["", "Not measured:", ""] + [f"- {n}" for n in notes]
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds (a smoke run)")
    parser.add_argument("--out", help="update this Markdown file's peers section")
    parser.add_argument("--cells", default=",".join(CELLS), help="comma-separated cells")
    parser.add_argument("--dtypes", default=",".join(DTYPES), help="comma-separated dtypes")
    parser.add_argument("--sizes", default=None,
                        help="D,H,T;D,H,T;... (default: the three sizes of issue 16)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure every configuration this many times")
    args = parser.parse_args(argv)
    cells = args.cells.split(",")
    dtypes = args.dtypes.split(",")
    for c in cells:
        if c not in CELLS:
            parser.error(f"unknown cell {c!r}; choose from {', '.join(CELLS)}")
    for d in dtypes:
        if d not in DTYPES:
            parser.error(f"unknown dtype {d!r}; choose from {', '.join(DTYPES)}")
    if len(os.sched_getaffinity(0)) > 1:
        print("note: run under `taskset -c 1` to pin this process to one core")
    sizes = SIZES
    if args.sizes:
        try:
            sizes = [tuple(int(v) for v in size.split(",")) for size in args.sizes.split(";")]
        except ValueError:
            parser.error(f"--sizes must look like 100,50,1000;65,100,25; got {args.sizes!r}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    rounds, seconds = (5, 0.5) if args.quick else (21, 6.0)
    rows, notes = run_all(cells, sizes, dtypes, rounds, seconds, args.repeat)
    section = report(rows, notes, rounds, args.repeat)
    print(section)
    if args.out:
        sections.write(args.out, "bench_peers.py", section)


if __name__ == "__main__":
    main()
