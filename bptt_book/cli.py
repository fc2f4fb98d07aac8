"""``bptt-book`` (or ``python -m bptt_book``): the package's command line.

Every mistake, in an argument or in a settings file, ends in one line on stderr and a
non-zero exit status, never a traceback: 2 for a bad argument (an unknown option, model or
experiment, a bad number, an ``--out`` that cannot be written, or that needs matplotlib when
it is not installed), 1 for anything else that failed (a broken settings file, a gradient
check that did not pass).
"""

import argparse
import os
import sys
from pathlib import Path

#: What to install for the figures (``matplotlib``), as a one-line hint.
PLOT_EXTRA = "pip install 'bptt_book[plot]'"

#: Parameters with more entries than this are checked at random entries by default.
ALL_ENTRIES_UP_TO = 10_000
SAMPLED_ENTRIES = 200


class UsageError(Exception):
    """A bad argument found after parsing (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (argparse prints the usage first)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


# ------------------------------------------------------------------------------ generate


def _generate(args):
    # The derivation needs SymPy; it is imported here, never by the gradient path.
    from .derivation import generate

    if args.check:
        stale = generate.differences()
        if not stale:
            names = ", ".join(generate.sources())
            print(f"bptt_book/generated is up to date with the derivation ({names})")
            return 0
        print(f"{', '.join(str(path) for path in stale)} differ from what the derivation prints "
              f"today; run `{generate.COMMAND}` and commit the result", file=sys.stderr)
        return 1
    paths = generate.write()
    print(f"wrote {len(paths)} files to {paths[0].parent}")
    return 0


# ---------------------------------------------------------------------------------- info


def _info(args):
    import numpy as np

    from . import __version__, config, init_params, loss

    models = config.load("models")
    print(f"bptt_book {__version__}")
    for name, settings in models.items():
        D, H = settings["word_dim"], settings["hidden_dim"]
        print(f"model [{name}]: D = {D} words, H = {H} hidden units, "
              f"{2 * H * D + H * H:,} parameters, truncate = {settings['bptt_truncate']}, "
              f"{settings['activation']}")
    t = config.model("tutorial")
    p = init_params(t["word_dim"], t["hidden_dim"], seed=t["seed"])
    x = np.arange(20) % t["word_dim"]
    print(f"untrained tutorial model: loss per word {loss(p, x, (x + 1) % t['word_dim']) / 20:.3f}"
          f" (log D = {np.log(t['word_dim']):.3f})")
    print(f"settings: {config.CONF_DIR}")
    return 0


# ----------------------------------------------------------------------------- gradcheck


def _model(name):
    from . import config

    models = config.load("models")
    if name not in models:
        raise UsageError(f"no model {name!r} in {config.CONF_DIR / 'models.toml'}; "
                         f"known: {', '.join(models)}")
    return models[name]


def _explain(result, p, x, y, truncate, activation, h):
    """Why a gradient check failed, one line per cause, with the numbers."""
    import numpy as np

    from . import bptt, loss

    lines = [f"{name}: the largest relative error, {error:.2e}, is {error / result.threshold:,.0f}"
             f" times the threshold {result.threshold:g}"
             for name, error in result.max_error.items() if error > result.threshold]
    failed = [name for name, error in result.max_error.items() if error > result.threshold]
    if truncate is not None and {"U", "W"} & set(failed):
        lines.append(
            f"the model truncates BPTT at K = {truncate} steps, fewer than T - 1 = {len(x) - 1}:"
            " a truncated gradient is not the gradient of the loss, which the finite "
            "differences measure, so dU and dW differ from them by the part of the gradient "
            "that was cut off (--exact checks the untruncated gradient)")
    E = float(loss(p, x, y, activation=activation))
    noise = np.finfo(np.float64).eps * abs(E) / h
    exact = bptt(p, x, y, activation=activation)
    # Truncation explains U and W; rounding can explain what is left.
    for name in failed if truncate is None else [n for n in failed if n == "V"]:
        g = np.abs(getattr(exact, name))
        g = g[g > 0]
        small = int(np.sum(g < noise / result.threshold))
        if small:
            lines.append(
                f"{name}: {small:,} of its {g.size:,} non-zero entries are smaller than "
                f"{noise / result.threshold:.1e}; there float64 rounding alone (about "
                f"eps * E / h = {noise:.1e} for the loss E = {E:.1f} and h = {h:.0e}) is more "
                f"than {result.threshold:g} of the entry, so the relative error measures the "
                f"rounding of the finite differences, not the gradient")
    return lines


def _gradcheck(args):
    import numpy as np

    from . import gradient_check, init_params

    m = _model(args.model)
    p = init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    rng = np.random.default_rng(m["seed"])
    x = np.asarray(m.get("x") or rng.integers(0, m["word_dim"], 10))
    y = np.asarray(m.get("y") or rng.integers(0, m["word_dim"], len(x)))
    truncate = None if args.exact or m["bptt_truncate"] >= len(x) - 1 else m["bptt_truncate"]
    entries = args.entries
    if entries is None and max(a.size for a in p) > ALL_ENTRIES_UP_TO:
        entries = SAMPLED_ENTRIES
    h = 1e-4
    result = gradient_check(p, x, y, truncate=truncate, activation=m["activation"],
                            entries=entries, h=h)
    print(result)
    if result.passed:
        return 0
    for line in _explain(result, p, x, y, truncate, m["activation"], h):
        print(line)
    return 1


# ---------------------------------------------------------------------------- experiment


def _figure_file(out, name):
    """The file the figure goes to, checked before any computing; None when matplotlib is
    missing and no file was asked for (the table is then the whole result)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        if out:
            raise UsageError(f"--out needs matplotlib to draw the figure: {PLOT_EXTRA}") \
                from None
        return None
    path = Path(out or f"{name}.png")
    formats = Figure().canvas.get_supported_filetypes()
    if path.suffix.lstrip(".").lower() not in formats:
        raise UsageError(f"--out must end in one of {', '.join('.' + f for f in formats)}; "
                         f"got {str(path)!r}")
    if path.is_dir():
        raise UsageError(f"--out {str(path)!r} is a folder; name a file")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"--out {str(path)!r}: the folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"--out {str(path)!r} cannot be written")
    return path


def _experiment(args):
    from . import experiments

    if args.list:
        for name, entry in experiments.EXPERIMENTS.items():
            print(f"{name:<14} {entry['about']}")
        return 0
    if not args.name:
        raise UsageError("name an experiment; `bptt-book experiment --list` lists them")
    if args.name not in experiments.EXPERIMENTS:
        raise UsageError(f"no experiment {args.name!r}; known: "
                         f"{', '.join(experiments.EXPERIMENTS)}")
    size = "quick" if args.quick else args.size
    out = _figure_file(args.out, args.name)
    if args.save and not Path(args.save).resolve().parent.is_dir():
        raise UsageError(f"--save: no folder {str(Path(args.save).parent)!r} to write "
                         f"{Path(args.save).name!r} in")
    path = experiments.cache_path(args.name, size)
    cached = not args.no_cache and path.exists()
    result = experiments.run(args.name, size=size, cache=not args.no_cache,
                             progress=experiments.Progress(lines=True), verbose=args.verbose,
                             workers=args.workers)
    print(experiments.table(result))
    print(f"{result.seconds:.1f} s of computing" + (f", read from {path}" if cached else ""))
    if args.save:
        Path(args.save).write_text(result.to_json() + "\n", encoding="utf-8")
        print(f"saved the result to {args.save}")
    if out is None:
        print(f"no figure: drawing it needs matplotlib; {PLOT_EXTRA}", file=sys.stderr)
        return 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = experiments.plot(result)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"wrote {out}")
    return 0


# -------------------------------------------------------------------------------- parser


def build_parser(prog="bptt-book"):
    parser = _Parser(
        prog=prog,
        description="Backpropagation through time, derived by SymPy and run by NumPy. "
        "Errors end in one line on stderr: exit status 2 for a bad argument, 1 for a "
        "failure (a broken settings file, a failed gradient check).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    gen = sub.add_parser(
        "generate",
        help="write bptt_book/generated/ from the SymPy derivation",
        description="Derive every cell's gradients with SymPy (every step checked) and print "
        "them into bptt_book/generated/, one module per cell.",
    )
    gen.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if a committed file differs")
    gen.set_defaults(run=_generate)
    info = sub.add_parser("info", help="show the book's models (bptt_book/conf/models.toml)")
    info.set_defaults(run=_info)
    check = sub.add_parser(
        "gradcheck", help="check bptt against finite differences",
        description="Compare bptt with centred finite differences (h = 1e-4, relative error "
        "threshold 1e-5) on a model of bptt_book/conf/models.toml and its sentence (10 "
        "random words when it has none). A failure is explained: which parameter, by how "
        "much, and why (truncation, float64 rounding). Exit status 1 when it fails.")
    check.add_argument("--model", default="gradient_check",
                       help="a model of bptt_book/conf/models.toml (default: gradient_check)")
    check.add_argument("--entries", type=_positive_int, default=None,
                       help="check this many random entries of each parameter (default: all, "
                       f"or {SAMPLED_ENTRIES} when a parameter has more than "
                       f"{ALL_ENTRIES_UP_TO:,})")
    check.add_argument("--exact", action="store_true",
                       help="check the untruncated gradient even when the model truncates")
    check.set_defaults(run=_gradcheck)
    exp = sub.add_parser(
        "experiment",
        help="run an experiment of chapters 7 to 9 and draw its figure",
        description="Train the networks of one experiment of chapters 7 to 9 with the settings "
        "of bptt_book/conf/experiments.toml, print its numbers and write its figure. A "
        "progress bar with the time left and a line per training run go to stderr. Results "
        "are cached in ~/.cache/bptt_book (or $BPTT_BOOK_CACHE), keyed on the settings and "
        f"the code. The figure needs matplotlib ({PLOT_EXTRA}); without it the numbers are "
        "printed, a line says so, and the exit status is 0 (2, before computing, when --out "
        "asks for a file).",
    )
    exp.add_argument("name", nargs="?", help="the experiment (see --list)")
    exp.add_argument("--list", action="store_true", help="list the experiments")
    exp.add_argument("--quick", action="store_true",
                     help="the quick settings of the tests (seconds)")
    exp.add_argument("--size", choices=["quick", "book", "full"], default="full",
                     help="which settings: quick, book (the book's figure) or full "
                     "(default)")
    exp.add_argument("--out", metavar="FIG.png", help="where to write the figure "
                     "(default: NAME.png)")
    exp.add_argument("--no-cache", action="store_true", help="run even if a cached "
                     "result exists (and do not store one)")
    exp.add_argument("--save", metavar="RESULT.json", help="also write the result (settings "
                     "and numbers) to this file, as JSON")
    exp.add_argument("--verbose", action="store_true", help="also print a line per epoch")
    exp.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                     help="train in N processes (default: $BPTT_BOOK_WORKERS, else one per "
                     "CPU); the results do not depend on N")
    exp.set_defaults(run=_experiment)
    return parser


def main(argv=None, prog="bptt-book"):
    """Run the command line; return the exit status."""
    from .config import ConfigError

    parser = build_parser(prog)
    args = parser.parse_args(argv)
    where = f"{prog} {args.command}"
    try:
        return args.run(args)
    except UsageError as error:
        return _fail(f"{where}: error: {error}", 2)
    except ConfigError as error:
        return _fail(f"{where}: error in the settings: {error}", 1)
    except (ValueError, TypeError, OSError) as error:
        return _fail(f"{where}: error: {error}", 1)
    except KeyboardInterrupt:
        return _fail(f"{where}: interrupted", 130)


def _fail(message, status):
    """Print ``message`` as one line on stderr and return ``status``."""
    print(" ".join(message.split()), file=sys.stderr)
    return status
