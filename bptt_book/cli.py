"""``python -m bptt_book``: the package's command line."""

import argparse
import sys


def _generate(args):
    # The derivation needs SymPy; it is imported here, never by the gradient path.
    from .derivation import generate

    if args.check:
        if generate.check():
            print(f"{generate.TARGET.name} is up to date with the derivation")
            return 0
        print(f"{generate.TARGET} differs from what the derivation prints today; "
              f"run `{generate.COMMAND}` and commit the result", file=sys.stderr)
        return 1
    path = generate.write()
    print(f"wrote {path}")
    return 0


def _info(args):
    import numpy as np

    from . import __version__, config, init_params, loss

    print(f"bptt_book {__version__}")
    for name, settings in config.load("models").items():
        D, H = settings["word_dim"], settings["hidden_dim"]
        print(f"model [{name}]: D = {D} words, H = {H} hidden units, "
              f"{2 * H * D + H * H:,} parameters, truncate = {settings['bptt_truncate']}, "
              f"{settings['activation']}")
    t = config.model("tutorial")
    p = init_params(t["word_dim"], t["hidden_dim"], seed=t["seed"])
    x = np.arange(20) % t["word_dim"]
    print(f"untrained tutorial model: loss per word {loss(p, x, (x + 1) % t['word_dim']) / 20:.3f}"
          f" (log D = {np.log(t['word_dim']):.3f})")
    return 0


def _gradcheck(args):
    import numpy as np

    from . import config, gradient_check, init_params

    m = config.model(args.model)
    p = init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    rng = np.random.default_rng(m["seed"])
    x = np.asarray(m.get("x") or rng.integers(0, m["word_dim"], 10))
    y = np.asarray(m.get("y") or rng.integers(0, m["word_dim"], len(x)))
    truncate = None if m["bptt_truncate"] >= len(x) - 1 else m["bptt_truncate"]
    result = gradient_check(p, x, y, truncate=truncate, activation=m["activation"],
                            entries=args.entries)
    print(result)
    return 0 if result.passed else 1


def _experiment(args):
    from . import experiments

    if args.list:
        for name, entry in experiments.EXPERIMENTS.items():
            print(f"{name:<14} {entry['about']}")
        return 0
    if not args.name:
        print("name an experiment; `python -m bptt_book experiment --list` lists them",
              file=sys.stderr)
        return 2
    if args.name not in experiments.EXPERIMENTS:
        print(f"no experiment {args.name!r}; known: {', '.join(experiments.EXPERIMENTS)}",
              file=sys.stderr)
        return 2
    size = "quick" if args.quick else args.size
    print(f"experiment {args.name} ({size} settings from bptt_book/conf/experiments.toml)",
          file=sys.stderr, flush=True)
    cached = not args.no_cache and experiments.cache_path(args.name, size).exists()
    result = experiments.run(args.name, size=size, cache=not args.no_cache,
                             progress=experiments.main_progress, verbose=args.verbose)
    print(experiments.table(result))
    print(f"{result.seconds:.1f} s of computing"
          + (f", read from {experiments.cache_path(args.name, size)}" if cached else ""))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = args.out or f"{args.name}.png"
    fig = experiments.plot(result)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"wrote {out}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m bptt_book",
        description="Backpropagation through time, derived by SymPy and run by NumPy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    gen = sub.add_parser(
        "generate",
        help="write bptt_book/generated.py from the SymPy derivation",
        description="Derive the gradients with SymPy (every step checked) and print them "
        "into bptt_book/generated.py.",
    )
    gen.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if the committed file differs")
    gen.set_defaults(run=_generate)
    info = sub.add_parser("info", help="show the book's models (bptt_book/conf/models.toml)")
    info.set_defaults(run=_info)
    check = sub.add_parser("gradcheck", help="check bptt against finite differences")
    check.add_argument("--model", default="gradient_check",
                       help="a model of bptt_book/conf/models.toml (default: gradient_check)")
    check.add_argument("--entries", type=int, default=None,
                       help="check this many random entries of each parameter (default: all)")
    check.set_defaults(run=_gradcheck)
    exp = sub.add_parser(
        "experiment",
        help="run an experiment of chapter 7 and draw its figure",
        description="Train the networks of one experiment of chapter 7 with the settings "
        "of bptt_book/conf/experiments.toml, print its numbers and write its figure. A line per "
        "training run goes to stderr. Results are cached in ~/.cache/bptt_book (or "
        "$BPTT_BOOK_CACHE), keyed on the settings and the code.",
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
    exp.add_argument("--verbose", action="store_true", help="also print a line per epoch")
    exp.set_defaults(run=_experiment)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)
