"""Time the main job on WordNet 3.0: the whole build, the eval and one unfold.

Run from the repository root after ``pip install '.[data]'`` and
``apt-get install wordnet-base``::

    python benches/bench_wordnet.py                 # full build and full eval
    python benches/bench_wordnet.py --sample 5000   # full build, sampled eval

The build goes into a temporary file unless ``--store`` names one; an existing
store is reused (its build is then skipped and only timed as zero). Unfold latency
is measured in this warm process, as a library user sees it, over ``--unfolds``
words, and reported as median and 90th percentile.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scenefold import SceneExpander, get_num_threads, simd_level
from scenefold.build import WORDNET_SOURCE, build_wordnet, evaluate
from scenefold.lexicon import Lexicon


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="lexicon file to build into or reuse")
    parser.add_argument("--sample", type=int, help="evaluate this many symbols (all)")
    parser.add_argument("--unfolds", type=int, default=200, help="words to unfold (200)")
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory() if args.store is None else None
    path = Path(args.store) if args.store else Path(folder.name) / "wordnet.sqlite"
    print(f"scenefold bench: popcount {simd_level()}, {get_num_threads()} threads")

    with Lexicon(path) as lexicon:
        started = time.perf_counter()
        report = build_wordnet(lexicon)
        build_seconds = time.perf_counter() - started
        total = lexicon.count(WORDNET_SOURCE)
        print(
            f"build: {report.folded} synsets folded in {build_seconds:.1f} s "
            f"({report.rate:.0f} synsets/s), {report.skipped} already stored, "
            f"{report.split} split; store holds {total}"
        )

        result = evaluate(lexicon, sample=args.sample)
        print(
            f"eval: {result.evaluated} symbols, {result.exact_share:.4%} exact, "
            f"{result.seconds:.1f} s ({result.rate:.0f} symbols/s), "
            f"failures {dict(result.failures)}"
        )

        words = [
            row[0]
            for row in lexicon._db.execute("SELECT DISTINCT word FROM senses")
        ]
        chosen = random.Random(0).sample(words, min(args.unfolds, len(words)))
        expander = SceneExpander(vocabulary=lexicon.vocabulary())
        expander.unfold(lexicon.senses(chosen[0])[0])  # build the slot codebooks once
        latencies = []
        for word in chosen:
            name = lexicon.senses(word)[0]
            started = time.perf_counter()
            expander.unfold(name, depth=0)
            latencies.append(time.perf_counter() - started)
        latencies.sort()
        p90 = latencies[int(0.9 * (len(latencies) - 1))]
        print(
            f"unfold one concept (warm): median "
            f"{statistics.median(latencies) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms "
            f"over {len(latencies)} words"
        )
    if folder is not None:
        folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
