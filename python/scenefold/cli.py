"""The ``scenefold`` command line.

Exit codes: 0 on success, 1 when an operation fails, 2 for bad usage (unknown
options, invalid formula text).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from scenefold import __version__
from scenefold._core import Space, get_num_threads, simd_level
from scenefold.compressor import SceneCompressor, slot_rows
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


def _store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="lexicon file (default: $SCENEFOLD_STORE, else lexicon.sqlite in the "
        "user data folder)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``scenefold`` command."""
    parser = argparse.ArgumentParser(
        prog="scenefold",
        description="Fold scenes of meaning into hypervector symbols and unfold them.",
    )
    parser.add_argument("--version", action="version", version=f"scenefold {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build",
        help="fold a lexicon (wordnet) into the store",
        description=(
            "Fold every synset of English WordNet 3.0, with the NRC emotion lexicon "
            "as its emotion register, into the store. An interrupted build resumes "
            "where its last committed batch ended."
        ),
    )
    build.add_argument("source", choices=["wordnet"], help="what to fold")
    build.add_argument(
        "--wordnet", metavar="PATH", help="WordNet database folder (found if omitted)"
    )
    build.add_argument("--nrc", metavar="PATH", help="NRC lexicon file (found if omitted)")
    build.add_argument(
        "--no-nrc", action="store_true", help="build without the emotion register"
    )
    build.add_argument(
        "--batch-size",
        type=int,
        default=2000,
        help="synsets per transaction, the most a kill can lose (2000)",
    )
    build.add_argument("--limit", type=int, help="fold at most this many synsets")
    build.add_argument(
        "--dim",
        type=int,
        help="bits per vector of a new store, a multiple of 64 (8192); an existing "
        "store keeps its own",
    )
    build.add_argument(
        "--seed", type=int, help="atom seed of a new store (0); an existing store keeps its own"
    )
    _store_argument(build)

    unfold = commands.add_parser(
        "unfold",
        help="unfold a stored concept at a level of detail",
        description=(
            "Unfold CONCEPT, a symbol name such as loss.n.01 or a word such as loss "
            "(every sense of it), from the store."
        ),
    )
    unfold.add_argument("concept", help="symbol name or word")
    _level_argument(unfold, "outline")
    unfold.add_argument("--register", help="show only this register")
    unfold.add_argument(
        "--depth", type=int, default=1, help="levels of sub-scenes to unfold (1)"
    )
    unfold.add_argument(
        "--senses", type=int, default=10, help="most senses of a word to show (10)"
    )
    unfold.add_argument("--json", action="store_true", help="print JSON instead of text")
    unfold.add_argument(
        "--blind",
        action="store_true",
        help="ignore the metacode: find registers, role–filler pairs (with a resonator "
        "network) and items from the bits alone; slow on a full WordNet store (minutes "
        "per concept)",
    )
    _store_argument(unfold)

    evaluate = commands.add_parser(
        "eval",
        help="unfold stored symbols and report how many reconstruct exactly",
        description=(
            "Unfold stored symbols and report the share that reconstructs its scene "
            "exactly, the mean smallest margin, failures by cause and throughput."
        ),
    )
    evaluate.add_argument(
        "--sample", type=int, help="unfold this many symbols drawn at random (all)"
    )
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the sample (0)")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of text")
    _store_argument(evaluate)

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
    fold.add_argument(
        "--save",
        action="store_true",
        help="also write the symbols into the store (source 'user')",
    )
    _level_argument(fold, "outline")
    _store_argument(fold)

    info = commands.add_parser(
        "info",
        help="print the version, CPU kernel, threads, capacity and store",
        description="Print facts about this installation and the store.",
    )
    _store_argument(info)
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


def _show_unfoldings(unfoldings: list[Unfolding], args: argparse.Namespace) -> None:
    if getattr(args, "json", False):
        print(json.dumps([_unfolding_json(u) for u in unfoldings], ensure_ascii=False))
        return
    for unfolding in unfoldings:
        _print_unfolding(unfolding, args.level)


def _command_demo(args: argparse.Namespace) -> int:
    space = Space(dim=args.dim, seed=args.seed)
    compressor = SceneCompressor(space)
    started = time.perf_counter()
    symbols = compressor.fold_formula(DEMO_FORMULAS)
    expander = SceneExpander(vocabulary=compressor.vocabulary)
    unfoldings = [expander.unfold(symbol) for symbol in symbols.values()]
    elapsed = time.perf_counter() - started
    _show_unfoldings(unfoldings, args)
    exact = sum(u.exact for u in unfoldings)
    print(
        f"{exact} of {len(unfoldings)} symbols unfolded exactly "
        f"(dim {space.dim}, {elapsed * 1000:.1f} ms)"
    )
    return 0 if exact == len(unfoldings) else 1


def _open_store(args: argparse.Namespace, create: bool = False, space=None):
    from scenefold.lexicon import Lexicon

    return Lexicon(args.store, space, create=create)


def _read_formula(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    if args.file and args.formula:
        parser.error("give formula text or --file, not both")
    if args.file:
        if args.file == "-":
            return sys.stdin.read()
        try:
            return Path(args.file).read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            parser.error(f"{args.file} is not UTF-8 text: {error}")
    if args.formula:
        return args.formula
    parser.error('fold needs formula text, e.g. scenefold fold "a = b * c"')
    return ""


def _command_fold(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from scenefold.formula import parse
    from scenefold.lexicon import default_store_path
    from scenefold.vocabulary import Vocabulary

    text = _read_formula(args, parser)
    store_path = Path(args.store) if args.store else default_store_path()
    lexicon = _open_store(args, create=args.save) if (
        args.save or store_path.exists()
    ) else None
    space = lexicon.space if lexicon is not None else Space()
    vocabulary = Vocabulary(space)
    known: set[str] = set()
    if lexicon is not None:
        known = set(lexicon.names(top_only=False))
    scenes = parse(text, known=known)
    for scene in scenes.values():
        for name in scene.refs() - scenes.keys():
            if lexicon is not None and name not in vocabulary:
                stored = lexicon.get(name)
                vocabulary.add_symbol(stored.symbol, lexicon.scene(name))
                vocabulary.add_labels(
                    x.label
                    for x in _fillers_of(lexicon.scene(name))
                    if hasattr(x, "label")
                )
    if args.save and lexicon is not None:
        taken = sorted(name for name in scenes if name in lexicon)
        if taken:
            raise ScenefoldError(
                f"{', '.join(map(repr, taken))} already in {lexicon.path}; --save never "
                "replaces a stored symbol, so choose another name"
            )
    compressor = SceneCompressor(space, vocabulary)
    folded = {}
    for name in _order(scenes):
        folded[name] = compressor.fold_pieces(scenes[name])
    expander = SceneExpander(vocabulary=vocabulary)
    unfoldings = [expander.unfold(pieces[-1][0]) for pieces in folded.values()]
    _show_unfoldings(unfoldings, args)
    if args.save and lexicon is not None:
        rows = []
        for name, pieces in folded.items():
            rows.extend((symbol, scene, False) for symbol, scene in pieces[:-1])
            rows.append((pieces[-1][0], scenes[name], True))
        slots = set()
        for pieces in folded.values():
            for _, encoded in pieces:
                slots.update(slot_rows(encoded))
        lexicon.write(rows, "user", slots=sorted(slots))
        if not args.json:
            print(f"saved {len(folded)} symbols to {lexicon.path}")
    return 0 if all(u.exact for u in unfoldings) else 1


def _order(scenes: dict) -> list[str]:
    from scenefold.formula import topological_order

    return topological_order(scenes)


def _fillers_of(scene):
    from scenefold.scene import Bind, Seq

    for item in scene.items():
        if isinstance(item, Bind):
            yield item.filler
        elif isinstance(item, Seq):
            yield from item.items
        else:
            yield item


class _ProgressLine:
    """A progress line on standard error, redrawn in place on a terminal."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.tty and now - self.last < 5 and done < total:
            return
        self.last = now
        elapsed = now - self.started
        share = done / total if total else 1.0
        width = 30
        bar = "#" * int(width * min(share, 1.0))
        line = (
            f"{self.what} [{bar:<{width}}] {done}/{total} "
            f"{share:6.1%} {elapsed:6.1f} s"
        )
        end = "\r" if self.tty and done < total else "\n"
        print(line, end=end, file=sys.stderr, flush=True)


def _command_build(args: argparse.Namespace) -> int:
    from scenefold.build import build_wordnet

    if args.batch_size < 1:
        print("scenefold: --batch-size must be at least 1", file=sys.stderr)
        return 2
    space = None
    if args.dim is not None or args.seed is not None:
        space = Space(
            dim=8192 if args.dim is None else args.dim,
            seed=0 if args.seed is None else args.seed,
        )
    with _open_store(args, create=True, space=space) as lexicon:
        print(f"building wordnet into {lexicon.path} ({lexicon.space!r})")
        report = build_wordnet(
            lexicon,
            args.wordnet,
            args.nrc,
            emotions=not args.no_nrc,
            batch_size=args.batch_size,
            limit=args.limit,
            progress=_ProgressLine("build"),
        )
        print(
            f"read {report.read} synsets, folded {report.folded} "
            f"({report.skipped} already stored), split {report.split} into "
            f"{report.parts} parts, {report.problem_count} malformed lines, "
            f"{report.seconds:.1f} s ({report.rate:.0f} synsets/s)"
        )
        for problem in report.problems[:10]:
            print(f"  {problem}")
    return 0


def _command_unfold(args: argparse.Namespace) -> int:
    if args.senses < 1:
        print("scenefold: --senses must be at least 1", file=sys.stderr)
        return 2
    if args.depth < 0:
        print("scenefold: --depth must not be negative", file=sys.stderr)
        return 2
    concept = args.concept.strip()
    if not concept:
        print("scenefold: give a word or a symbol name to unfold", file=sys.stderr)
        return 2
    with _open_store(args) as lexicon:
        if concept in lexicon:
            names = [concept]
            total = 1
        else:
            senses = lexicon.senses(" ".join(concept.split()))
            total = len(senses)
            names = senses[: args.senses]
        if not names:
            nearest = lexicon.nearest_words(args.concept)
            hint = f"; nearest: {', '.join(nearest)}" if nearest else ""
            print(
                f"scenefold: {concept!r} not found in {lexicon.path}{hint}",
                file=sys.stderr,
            )
            return 1
        expander = SceneExpander(vocabulary=lexicon.vocabulary())
        unfoldings = [
            expander.unfold(
                name,
                register=args.register,
                depth=args.depth,
                use_metacode=not args.blind,
            )
            for name in names
        ]
        if args.register is not None:
            registers = set()
            for name in names:
                registers.update(lexicon.get(name).symbol.metacode.slots)
            if args.register not in registers:
                known = ", ".join(sorted(r for r in registers if not r.startswith("#")))
                print(
                    f"scenefold: no register {args.register!r} in {concept!r}; its "
                    f"registers are: {known}",
                    file=sys.stderr,
                )
                return 2
        if not args.json and total > 1:
            shown = f"showing {len(names)} of {total}" if len(names) < total else total
            print(f"{concept}: {shown} senses")
        _show_unfoldings(unfoldings, args)
    return 0 if all(u.exact for u in unfoldings) else 1


def _command_eval(args: argparse.Namespace) -> int:
    from scenefold.build import evaluate

    if args.sample is not None and args.sample < 1:
        print("scenefold: --sample must be at least 1", file=sys.stderr)
        return 2
    with _open_store(args) as lexicon:
        report = evaluate(
            lexicon, sample=args.sample, seed=args.seed, progress=_ProgressLine("eval")
        )
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    print(
        f"unfolded {report.evaluated} symbols: {report.equal} reconstructed exactly "
        f"({report.exact_share:.4%}), mean smallest margin {report.mean_margin:.3f}, "
        f"{report.rate:.0f} symbols/s ({report.seconds:.1f} s)"
    )
    for cause, count in report.failures.most_common():
        print(f"  {cause}: {count} (e.g. {report.examples[cause]})")
    return 0


def _command_info(args: argparse.Namespace) -> int:
    from scenefold.lexicon import default_store_path

    space = Space()
    gate = FlowGate(space)
    print(f"scenefold {__version__}")
    print(f"popcount kernel: {simd_level()}")
    print(f"threads: {get_num_threads()}")
    print(
        f"capacity: {gate.capacity} items per vector of dim {space.dim} over "
        f"{DESIGN_CODEBOOK_SIZE} candidates at target error {gate.target_error}"
    )
    path = Path(args.store) if args.store else default_store_path()
    if not path.exists():
        print(f"store: {path} (not built yet; run 'scenefold build wordnet')")
        return 0
    with _open_store(args) as lexicon:
        print(f"store: {lexicon.path} ({lexicon.space!r})")
        print(f"symbols: {len(lexicon)}")
        state = lexicon.import_state("wordnet")
        if state is not None:
            print(f"wordnet import: {state['state']}, {state['done']} synsets")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {
        "demo": lambda: _command_demo(args),
        "fold": lambda: _command_fold(args, parser),
        "build": lambda: _command_build(args),
        "unfold": lambda: _command_unfold(args),
        "eval": lambda: _command_eval(args),
        "info": lambda: _command_info(args),
    }
    try:
        return commands[args.command]()
    except FormulaError as error:
        print(f"scenefold: invalid formula: {error}", file=sys.stderr)
        return 2
    except RecursionError:
        print(
            "scenefold: the input nests too deeply to process; flatten it into named "
            "scenes",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:
        # The reader of standard output went away, as `| head` does: not an error.
        sys.stderr.close()
        return 0
    except (ScenefoldError, OSError, sqlite3.Error) as error:
        print(f"scenefold: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("scenefold: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
