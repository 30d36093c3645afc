"""The ``scenefold`` command line.

Exit codes: 0 on success, 1 when an operation fails, 2 for bad usage (unknown
options, invalid formula text).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from scenefold import __version__
from scenefold._core import Space, get_num_threads, simd_level
from scenefold.compressor import SceneCompressor
from scenefold.errors import FormulaError, ScenefoldError
from scenefold.expander import SceneExpander, Unfolding
from scenefold.flowgate import DESIGN_CODEBOOK_SIZE, FlowGate
from scenefold.render import LEVELS, render

#: The formulas the demo folds: every construct of the formula language.
DEMO_FORMULAS = """\
потеря = страх + рассыпание + тьма + «тихое влечение»
⟁ = боль * движение
storm = emotion: (fear + awe) + logic: (cause * wind + isa * weather) + archetype: destroyer
tale = seq(calm, thunder, rain)
night = storm + tale          # named scenes become sub-scenes
"""


def _space_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dim", type=int, default=8192, help="bits per vector, a multiple of 64 (8192)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed the atoms are derived from (0)"
    )


def _level_argument(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--level",
        choices=[*LEVELS, "all"],
        default=default,
        help=f"level of detail to print, or all of them ({default})",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``scenefold`` command."""
    parser = argparse.ArgumentParser(
        prog="scenefold",
        description="Fold scenes of meaning into hypervector symbols and unfold them.",
    )
    parser.add_argument("--version", action="version", version=f"scenefold {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="fold and unfold the example formulas at every level of detail",
        description="Fold the example formulas, unfold each symbol and print it.",
    )
    _level_argument(demo, "all")
    _space_arguments(demo)

    fold = commands.add_parser(
        "fold",
        help="fold formula text, unfold it again and print the result",
        description=(
            "Fold every scene defined in FORMULA (or in --file), then unfold each "
            "symbol and print it; the exit code is 1 when an unfolding is not exact."
        ),
    )
    fold.add_argument("formula", nargs="?", help='formula text, e.g. "a = b * c"')
    fold.add_argument("--file", help="read formula text from this file ('-' for stdin)")
    fold.add_argument("--json", action="store_true", help="print JSON instead of text")
    _level_argument(fold, "outline")
    _space_arguments(fold)

    info = commands.add_parser(
        "info",
        help="print the version, CPU kernel, threads and capacity",
        description="Print facts about this installation and the default space.",
    )
    _space_arguments(info)
    return parser


def _unfolding_json(unfolding: Unfolding) -> dict:
    return {
        "name": unfolding.name,
        "exact": unfolding.exact,
        "reasons": unfolding.reasons,
        "formula": render(unfolding, "formula"),
        "glyph": render(unfolding, "glyph"),
        "rounds": unfolding.rounds,
        "items": [
            {
                "register": f.register,
                "key": f.key,
                "label": f.label,
                "is_scene": not hasattr(f.filler, "label"),
                "activation": f.activation,
                "z": f.z,
                "margin": f.margin,
            }
            for f in unfolding.anchors()
        ],
    }


def _print_unfolding(unfolding: Unfolding, level: str) -> None:
    levels = LEVELS if level == "all" else (level,)
    for name in levels:
        text = render(unfolding, name)
        if len(levels) > 1:
            print(f"[{name}]")
        print(text)
    print()


def _fold_and_show(text: str, args: argparse.Namespace) -> int:
    space = Space(dim=args.dim, seed=args.seed)
    compressor = SceneCompressor(space)
    started = time.perf_counter()
    symbols = compressor.fold_formula(text)
    expander = SceneExpander(vocabulary=compressor.vocabulary)
    unfoldings = [expander.unfold(symbol) for symbol in symbols.values()]
    elapsed = time.perf_counter() - started
    if getattr(args, "json", False):
        print(json.dumps([_unfolding_json(u) for u in unfoldings], ensure_ascii=False))
    else:
        for unfolding in unfoldings:
            _print_unfolding(unfolding, args.level)
        exact = sum(u.exact for u in unfoldings)
        print(
            f"{exact} of {len(unfoldings)} symbols unfolded exactly "
            f"(dim {space.dim}, {elapsed * 1000:.1f} ms)"
        )
    return 0 if all(u.exact for u in unfoldings) else 1


def _command_fold(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.file and args.formula:
        parser.error("give formula text or --file, not both")
    if args.file:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as handle:
                text = handle.read()
    elif args.formula:
        text = args.formula
    else:
        parser.error('fold needs formula text, e.g. scenefold fold "a = b * c"')
    return _fold_and_show(text, args)


def _command_info(args: argparse.Namespace) -> int:
    space = Space(dim=args.dim, seed=args.seed)
    gate = FlowGate(space)
    print(f"scenefold {__version__}")
    print(f"popcount kernel: {simd_level()}")
    print(f"threads: {get_num_threads()}")
    print(f"space: {space!r}")
    print(
        f"capacity: {gate.capacity} items per vector over {DESIGN_CODEBOOK_SIZE} "
        f"candidates at target error {gate.target_error}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return _fold_and_show(DEMO_FORMULAS, args)
        if args.command == "fold":
            return _command_fold(args, parser)
        if args.command == "info":
            return _command_info(args)
    except FormulaError as error:
        print(f"scenefold: invalid formula: {error}", file=sys.stderr)
        return 2
    except (ScenefoldError, OSError) as error:
        print(f"scenefold: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("scenefold: interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
