"""Benchmark scenefold's kernels side by side with peer libraries, in one run.

From the repository root, after ``pip install -e .`` and
``pip install -r benches/requirements.txt``::

    python benches/run.py                  # 1 and 2 threads, every workload
    python benches/run.py --quick          # small sizes: a smoke test of every side
    python benches/run.py --json out.json  # also write every measurement to a file

Each workload runs every available side in turn, rotating the order at each repetition
so that drift in the machine's speed spreads over all sides. It prints the median time
per call and each peer's median divided by scenefold's (above 1: scenefold is faster).
For scans it also prints the codebook bytes read per second, against the read bandwidth
that NumPy reductions over the same codebook reach in the same run. Every side is given the same
number of threads; NumPy's kernels and bhv have no threads of their own and run on one.
A peer that is not installed, or a side whose single run is estimated above
``--max-run`` seconds from its 1-query time, is listed as skipped with the reason.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scenefold as sf

DIM = 8192
N_WORDS = DIM // 64
K = 10
BATCH = 64
BUNDLE_ROWS = 1000
PAIRS = 50
VOCABULARY = 10_000
MEMORY_SYMBOLS = 100_000
# torchhd stores a bit as a bool byte (BSC) or a float32 (MAP): 0.8 GB and 3.3 GB for
# 100,000 rows, 8 GB and 33 GB for 1,000,000, so it runs on the smaller codebooks only.
TORCH_MAX_ROWS = 100_000


def optional_import(name: str) -> Any | None:
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        return None


faiss = optional_import("faiss")
bhv_native = optional_import("bhv.native")
torch = optional_import("torch")
torchhd = optional_import("torchhd") if torch is not None else None
HAS_BITWISE_COUNT = hasattr(np, "bitwise_count")


# --- timing ---------------------------------------------------------------------------


@dataclass
class Side:
    """One library's way to run a workload; ``run`` returns what ``check`` inspects."""

    name: str
    run: Callable[[], Any]
    threads: str = "pool"
    skip: str = ""


@dataclass
class Measurement:
    side: str
    times: list[float] = field(default_factory=list)
    note: str = ""
    check: str = ""
    result: Any = None

    @property
    def median(self) -> float:
        return float(np.median(self.times)) if self.times else math.nan


def measure(sides: list[Side], reps: int, budget: float) -> dict[str, Measurement]:
    """Time every side ``reps`` times in rotating order; return the measurements.

    A call shorter than 50 ms is repeated in an inner loop that lasts about 50 ms, and
    the first call of such a side is a discarded warm-up. A side stops repeating once
    it has spent ``budget`` seconds.
    """
    found: dict[str, Measurement] = {}
    inner: dict[str, int] = {}
    spent: dict[str, float] = {}
    active = []
    for side in sides:
        selected = not ARGS.sides or side.name == "scenefold"
        selected = selected or any(side.name.startswith(p) for p in ARGS.sides)
        if not side.skip and not selected:
            side.skip = "not selected by --sides"
        if side.skip:
            found[side.name] = Measurement(side.name, note=f"skipped: {side.skip}")
            continue
        start = time.perf_counter()
        result = side.run()
        elapsed = time.perf_counter() - start
        found[side.name] = Measurement(side.name, result=result)
        if elapsed >= 1.0:
            found[side.name].times.append(elapsed)
        inner[side.name] = max(1, min(1000, math.ceil(0.05 / max(elapsed, 1e-7))))
        spent[side.name] = elapsed
        active.append(side)
    for rep in range(reps):
        shift = rep % max(1, len(active))
        for side in active[shift:] + active[:shift]:
            m = found[side.name]
            if len(m.times) >= reps or (m.times and spent[side.name] > budget):
                continue
            start = time.perf_counter()
            for _ in range(inner[side.name]):
                side.run()
            elapsed = time.perf_counter() - start
            m.times.append(elapsed / inner[side.name])
            spent[side.name] += elapsed
    for side in active:
        if side.threads != "pool":
            found[side.name].note = side.threads
    return found


def set_threads(n: int) -> None:
    sf.set_num_threads(n)
    if faiss is not None:
        faiss.omp_set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


def read_bandwidth(words: np.ndarray, threads: int, reps: int) -> float:
    """Return the median bytes per second of the fastest NumPy reduction over ``words``.

    ``threads`` threads each reduce one part; NumPy releases the GIL inside the loops.
    """
    parts = np.array_split(words.reshape(-1), threads)
    best = 0.0
    with ThreadPoolExecutor(threads) as pool:
        for reduce in (np.bitwise_or.reduce, np.max):
            times = []
            for _ in range(reps):
                start = time.perf_counter()
                list(pool.map(reduce, parts))
                times.append(time.perf_counter() - start)
            best = max(best, words.nbytes / float(np.median(times)))
    return best


# --- data -----------------------------------------------------------------------------


def random_words(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.bit_generator.random_raw(shape).astype(np.uint64)


def unpack_bits(words: np.ndarray) -> np.ndarray:
    """Return the bits of ``(n, n_words)`` words as an ``(n, dim)`` ``uint8`` array."""
    as_bytes = np.ascontiguousarray(words).view(np.uint8).reshape(len(words), -1)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")


def to_bhv(words: np.ndarray) -> list[Any]:
    return [bhv_native.NativePackedBHV.from_bytes(row.tobytes()) for row in words]


def to_bsc(words: np.ndarray) -> Any:
    bits = torch.from_numpy(unpack_bits(words)).to(torch.bool)
    return bits.as_subclass(torchhd.BSCTensor)


def to_map(words: np.ndarray) -> Any:
    bits = torch.from_numpy(unpack_bits(words))
    return (1.0 - 2.0 * bits.to(torch.float32)).as_subclass(torchhd.MAPTensor)


@dataclass
class Store:
    """One codebook held by every side, and queries near known rows."""

    rows: np.ndarray
    book: Any
    queries: np.ndarray
    planted: np.ndarray
    index: Any = None
    bhv_rows: list[Any] | None = None
    bhv_queries: list[Any] | None = None
    bsc_rows: Any = None
    bsc_queries: Any = None
    map_rows: Any = None
    map_queries: Any = None


def build_store(n_rows: int, seed: int) -> Store:
    rng = np.random.default_rng(seed)
    rows = random_words(rng, (n_rows, N_WORDS))
    planted = rng.choice(n_rows, size=BATCH, replace=False)
    # Flipping about a quarter of the bits keeps the planted row clearly nearest.
    noise = random_words(rng, (BATCH, N_WORDS)) & random_words(rng, (BATCH, N_WORDS))
    queries = rows[planted] ^ noise
    space = sf.Space(dim=DIM)
    book = sf.Codebook(space, [f"r{i}" for i in range(n_rows)], rows)
    store = Store(rows, book, queries, planted)
    if faiss is not None:
        store.index = faiss.IndexBinaryFlat(DIM)
        store.index.add(rows.view(np.uint8))
    if bhv_native is not None:
        store.bhv_rows = to_bhv(rows)
        store.bhv_queries = to_bhv(queries)
    if torchhd is not None and n_rows <= TORCH_MAX_ROWS:
        store.bsc_rows, store.bsc_queries = to_bsc(rows), to_bsc(queries)
        store.map_rows, store.map_queries = to_map(rows), to_map(queries)
    return store


# --- workloads ------------------------------------------------------------------------


def numpy_top_k(rows: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Return the ``k`` nearest rows per query by Hamming distance, ties to lower rows."""
    chunk = 1 << 15
    found = []
    for q in queries:
        distances = np.concatenate(
            [
                np.bitwise_count(rows[s : s + chunk] ^ q).sum(axis=1, dtype=np.int32)
                for s in range(0, len(rows), chunk)
            ]
        )
        top = np.argpartition(distances, k)[:k]
        found.append(top[np.lexsort((top, distances[top]))])
    return np.array(found)


def search_sides(
    store: Store, n_queries: int, estimates: dict[str, float]
) -> list[Side]:
    """Return the sides of a top-``K`` search with ``n_queries`` queries."""
    q = store.queries[:n_queries]
    single = n_queries == 1
    sides = [Side("scenefold", lambda: store.book.search(q[0] if single else q, K)[1])]
    missing = "not installed"
    sides.append(
        Side(
            "faiss IndexBinaryFlat", lambda: store.index.search(q.view(np.uint8), K)[1]
        )
        if store.index is not None
        else Side("faiss IndexBinaryFlat", lambda: None, skip=missing)
    )
    if store.bhv_rows is not None:
        bhv_queries = store.bhv_queries[:n_queries]
        sides.append(
            Side(
                "bhv native",
                lambda: [x.top(store.bhv_rows, K) for x in bhv_queries],
                "1 thread",
            )
        )
    else:
        sides.append(Side("bhv native", lambda: None, skip=missing))
    if HAS_BITWISE_COUNT:
        sides.append(
            Side(
                "numpy bitwise_count", lambda: numpy_top_k(store.rows, q, K), "1 thread"
            )
        )
    else:
        sides.append(Side("numpy bitwise_count", lambda: None, skip="NumPy < 2.0"))
    if torchhd is None:
        sides += [
            Side(n, lambda: None, skip=missing) for n in ("torchhd BSC", "torchhd MAP")
        ]
    elif store.bsc_rows is None:
        why = f"runs up to {TORCH_MAX_ROWS:,} rows (1 byte or 4 bytes per bit)"
        sides += [
            Side(n, lambda: None, skip=why) for n in ("torchhd BSC", "torchhd MAP")
        ]
    else:
        bsc_queries = store.bsc_queries[:n_queries]
        map_queries = store.map_queries[:n_queries]

        def bsc_search():
            return [
                torch.topk(torchhd.hamming_similarity(x, store.bsc_rows), K).indices
                for x in bsc_queries
            ]

        def map_search():
            return torch.topk(
                torchhd.dot_similarity(map_queries, store.map_rows), K
            ).indices

        sides += [Side("torchhd BSC", bsc_search), Side("torchhd MAP", map_search)]
    if not single:
        for side in sides:
            one = estimates.get(side.name)
            if side.skip or side.name == "scenefold" or one is None:
                continue
            if one * n_queries > ARGS.max_run:
                side.skip = (
                    f"estimated {one * n_queries:.0f} s per run "
                    f"({n_queries} x its 1-query median)"
                )
    return sides


def check_search(store: Store, n_queries: int, result: Any) -> str:
    """Return how many queries found their planted row first."""
    if result is None:
        return ""
    per_query = result if n_queries > 1 else [result]
    first = np.array([np.asarray(r).reshape(-1)[0] for r in per_query])
    hits = int((first == store.planted[:n_queries]).sum())
    return f"top-1 {hits}/{n_queries}"


def bundle_sides(rows: np.ndarray) -> tuple[list[Side], np.ndarray]:
    """Return the sides of a majority bundle of ``rows``, and NumPy's exact bundle."""
    space = sf.Space(dim=DIM)
    tie = unpack_bits(space.tie_break()[None, :])[0]
    n = len(rows)

    def numpy_majority():
        ones = unpack_bits(rows).sum(axis=0, dtype=np.int32)
        bits = np.where(2 * ones > n, 1, np.where(2 * ones == n, tie, 0)).astype(
            np.uint8
        )
        return np.packbits(bits, bitorder="little").view(np.uint64)

    sides = [
        Side("scenefold", lambda: space.bundle(rows)),
        Side("numpy unpackbits", numpy_majority, "1 thread"),
    ]
    if bhv_native is not None:
        bhv_rows = to_bhv(rows)
        sides.append(
            Side(
                "bhv native",
                lambda: bhv_native.NativePackedBHV.majority(bhv_rows),
                "1 thread",
            )
        )
    else:
        sides.append(Side("bhv native", lambda: None, skip="not installed"))
    if torchhd is not None:
        bsc, mapped = to_bsc(rows), to_map(rows)
        sides.append(Side("torchhd BSC", lambda: torchhd.multibundle(bsc)))
        sides.append(
            Side("torchhd MAP", lambda: torchhd.normalize(torchhd.multiset(mapped)))
        )
    return sides, numpy_majority()


def bits_of(result: Any) -> np.ndarray | None:
    """Return a bundle as ``dim`` 0/1 values, bit 1 for the bipolar -1."""
    if result is None:
        return None
    if isinstance(result, np.ndarray):
        return unpack_bits(result[None, :])[0]
    if bhv_native is not None and isinstance(result, bhv_native.NativePackedBHV):
        return unpack_bits(np.frombuffer(result.to_bytes(), dtype=np.uint64)[None, :])[
            0
        ]
    values = result.detach().numpy()
    return (
        (values < 0).astype(np.uint8)
        if values.dtype != bool
        else values.astype(np.uint8)
    )


def decode_sides(seed: int) -> tuple[list[Side], np.ndarray]:
    """Return the sides of decoding a bundle of ``PAIRS`` role–filler pairs.

    Every bit side decodes the same scenefold bundle; torchhd MAP decodes its own sum
    of the same pairs in bipolar form. Decoding unbinds each role and keeps the nearest
    of ``VOCABULARY`` fillers.
    """
    rng = np.random.default_rng(seed)
    space = sf.Space(dim=DIM)
    vocabulary = random_words(rng, (VOCABULARY, N_WORDS))
    roles = random_words(rng, (PAIRS, N_WORDS))
    answer = rng.choice(VOCABULARY, size=PAIRS, replace=False)
    bundle = space.bundle(roles ^ vocabulary[answer])
    book = sf.Codebook(space, [f"v{i}" for i in range(VOCABULARY)], vocabulary)
    sides = [
        Side("scenefold", lambda: book.search(space.bind(bundle, roles), 1)[1][:, 0])
    ]
    if faiss is not None:
        index = faiss.IndexBinaryFlat(DIM)
        index.add(vocabulary.view(np.uint8))
        sides.append(
            Side(
                "faiss IndexBinaryFlat",
                lambda: index.search((roles ^ bundle).view(np.uint8), 1)[1][:, 0],
            )
        )
    if bhv_native is not None:
        b_vocab, b_roles = to_bhv(vocabulary), to_bhv(roles)
        b_bundle = to_bhv(bundle[None, :])[0]
        sides.append(
            Side(
                "bhv native",
                lambda: [(b_bundle ^ r).closest(b_vocab) for r in b_roles],
                "1 thread",
            )
        )
    if HAS_BITWISE_COUNT:
        sides.append(
            Side(
                "numpy bitwise_count",
                lambda: numpy_top_k(vocabulary, roles ^ bundle, 1)[:, 0],
                "1 thread",
            )
        )
    if torchhd is not None:
        t_vocab, t_roles, t_bundle = (
            to_bsc(vocabulary),
            to_bsc(roles),
            to_bsc(bundle[None]),
        )
        m_vocab, m_roles = to_map(vocabulary), to_map(roles)
        m_bundle = torchhd.multiset(torchhd.bind(m_roles, m_vocab[answer]))

        def bsc_decode():
            unbound = torchhd.bind(t_bundle, t_roles)
            return [
                int(torchhd.hamming_similarity(x, t_vocab).argmax()) for x in unbound
            ]

        def map_decode():
            unbound = torchhd.bind(m_bundle, m_roles)
            return torchhd.cosine_similarity(unbound, m_vocab).argmax(dim=1)

        sides += [Side("torchhd BSC", bsc_decode), Side("torchhd MAP", map_decode)]
    return sides, answer


# --- memory ---------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def memory_of(side: str) -> float:
    """Build ``MEMORY_SYMBOLS`` symbols on ``side`` and return resident bytes per symbol.

    Runs in a fresh process (see ``--memory-side``) so that freed memory of earlier
    stages cannot hide the growth.
    """
    rows = random_words(np.random.default_rng(1), (MEMORY_SYMBOLS, N_WORDS))
    labels = [f"s{i}" for i in range(MEMORY_SYMBOLS)] if side == "scenefold" else None
    gc.collect()
    before = rss_bytes()
    if side == "scenefold":
        held = sf.Codebook(sf.Space(dim=DIM), labels, rows)
    elif side == "numpy":
        held = rows.copy()
    elif side == "faiss IndexBinaryFlat":
        held = faiss.IndexBinaryFlat(DIM)
        held.add(rows.view(np.uint8))
    elif side == "bhv native":
        held = to_bhv(rows)
    elif side == "torchhd BSC":
        held = to_bsc(rows)
    elif side == "torchhd MAP":
        held = to_map(rows)
    else:
        raise ValueError(f"unknown side {side!r}")
    gc.collect()
    grown = rss_bytes() - before
    del held
    return grown / MEMORY_SYMBOLS


def memory_table() -> list[dict[str, Any]]:
    names = ["scenefold", "numpy", "faiss IndexBinaryFlat", "bhv native"]
    names += ["torchhd BSC", "torchhd MAP"]
    table = []
    for name in names:
        run = subprocess.run(
            [sys.executable, __file__, "--memory-side", name],
            check=False,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            reason = run.stderr.strip().splitlines()[-1:] or ["failed"]
            table.append({"side": name, "bytes": math.nan, "note": reason[0]})
        else:
            table.append({"side": name, "bytes": float(run.stdout.strip()), "note": ""})
    return table


# --- report ---------------------------------------------------------------------------


def print_table(
    title: str,
    found: dict[str, Measurement],
    scan_bytes: int = 0,
    bandwidth: float = 0.0,
    n_queries: int = 1,
) -> list[dict[str, Any]]:
    """Print one workload's medians and ratios and return them as records.

    A single-query scan shows the codebook bytes read per second and their share of the
    read bandwidth. A batch shows query-row pair bytes per second instead.
    """
    base = found["scenefold"].median
    print(f"\n{title}")
    header = f"  {'side':<22} {'median':>11} {'ratio':>7} {'runs':>5}"
    if scan_bytes:
        header += (
            f" {'GB/s':>6} {'of read':>8}" if n_queries == 1 else f" {'pair GB/s':>10}"
        )
    print(header + "  notes")
    records = []
    for m in found.values():
        median = m.median
        ratio = median / base if m.times else math.nan
        line = (
            f"  {m.side:<22} {format_time(median):>11} {ratio:>7.2f} {len(m.times):>5}"
        )
        record = {
            "workload": title,
            "side": m.side,
            "median_s": median,
            "times_s": m.times,
            "ratio": ratio,
            "note": m.note,
            "check": m.check,
        }
        if scan_bytes:
            rate = scan_bytes / median if m.times else math.nan
            record["gb_per_s"] = rate / 1e9
            record["pair_gb_per_s"] = rate * n_queries / 1e9
            if n_queries == 1:
                line += f" {rate / 1e9:>6.1f} {rate / bandwidth:>8.0%}"
            else:
                line += f" {rate * n_queries / 1e9:>10.1f}"
        notes = "; ".join(x for x in (m.check, m.note) if x)
        print(line + ("  " + notes if notes else ""))
        records.append(record)
    return records


def format_time(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "kernel": platform.release(),
    }
    with open("/proc/cpuinfo") as cpu:
        text = cpu.read()
    info["cpu"] = next(
        (
            l.split(":", 1)[1].strip()
            for l in text.splitlines()
            if l.startswith("model name")
        ),
        platform.processor(),
    )
    flags = next((l for l in text.splitlines() if l.startswith("flags")), "").split()
    info["simd_flags"] = [
        f for f in ("avx2", "avx512f", "avx512_vpopcntdq") if f in flags
    ]
    info["cores"] = os.cpu_count()
    with open("/proc/meminfo") as mem:
        info["memory_gib"] = round(int(mem.readline().split()[1]) / 2**20, 1)
    thp = "/sys/kernel/mm/transparent_hugepage/enabled"
    if os.path.exists(thp):
        with open(thp) as mode:
            info["transparent_huge_pages"] = mode.read().strip()
    info["load_average"] = os.getloadavg()
    info["scenefold"] = f"{sf.__version__}, simd_level() = {sf.simd_level()}"
    info["SCENEFOLD_SIMD"] = os.environ.get("SCENEFOLD_SIMD", "")
    info["numpy"] = np.__version__
    for name, module in (("faiss", faiss), ("torch", torch), ("torchhd", torchhd)):
        info[name] = (
            getattr(module, "__version__", "not installed")
            if module
            else "not installed"
        )
    try:
        from importlib.metadata import version

        info["bhv"] = version("bhv") if bhv_native else "not installed"
    except Exception:  # noqa: BLE001 - the version is informational only
        info["bhv"] = "unknown"
    return info


# --- main -----------------------------------------------------------------------------


def run_search(store: Store, threads: int, bandwidth: float, records: list) -> None:
    n_rows = len(store.rows)
    estimates: dict[str, float] = {}
    for n_queries in (1, BATCH):
        sides = search_sides(store, n_queries, estimates)
        found = measure(sides, ARGS.reps, ARGS.budget)
        for m in found.values():
            m.check = check_search(store, n_queries, m.result)
            m.result = None
            if n_queries == 1 and m.times:
                estimates[m.side] = m.median
        title = (
            f"top-{K} search, {n_queries} quer{'y' if n_queries == 1 else 'ies'}, "
            f"{n_rows:,} rows x {DIM} bits, {threads} thread{'s' * (threads > 1)}"
        )
        rows = print_table(title, found, store.rows.nbytes, bandwidth, n_queries)
        for r in rows:
            r.update(threads=threads, rows=n_rows, queries=n_queries, read_bw=bandwidth)
        records += rows


def run_bundle_and_decode(threads: int, records: list) -> None:
    rows = random_words(np.random.default_rng(5), (BUNDLE_ROWS, N_WORDS))
    sides, exact = bundle_sides(rows)
    found = measure(sides, ARGS.reps * 4, ARGS.budget)
    expected = unpack_bits(exact[None, :])[0]
    for m in found.values():
        bits = bits_of(m.result)
        if bits is not None:
            m.check = (
                f"{(bits == expected).mean():.2%} of bits as NumPy's exact majority"
            )
        m.result = None
    title = (
        f"majority bundle of {BUNDLE_ROWS:,} vectors x {DIM} bits, {threads} thread(s)"
    )
    for r in print_table(title, found):
        r.update(threads=threads)
        records.append(r)

    sides, answer = decode_sides(7)
    found = measure(sides, ARGS.reps * 2, ARGS.budget)
    for m in found.values():
        if m.result is not None:
            decoded = np.array([int(x) for x in np.asarray(m.result).reshape(-1)])
            m.check = f"{int((decoded == answer).sum())}/{PAIRS} decoded"
        m.result = None
    title = (
        f"decode {PAIRS} role-filler pairs: unbind + nearest of {VOCABULARY:,}, "
        f"{threads} thread(s)"
    )
    for r in print_table(title, found):
        r.update(threads=threads)
        records.append(r)


def main() -> None:
    info = machine()
    print("machine and versions:")
    for key, value in info.items():
        print(f"  {key}: {value}")
    records: list[dict[str, Any]] = []
    for n_rows in ARGS.sizes:
        start = time.perf_counter()
        store = build_store(n_rows, seed=n_rows)
        print(
            f"\nbuilt {n_rows:,} rows for every side in {time.perf_counter() - start:.1f} s"
        )
        for threads in ARGS.threads:
            set_threads(threads)
            bandwidth = read_bandwidth(store.rows, threads, ARGS.reps)
            print(
                f"\nread bandwidth, NumPy reduction over {store.rows.nbytes / 2**30:.2f} GiB,"
                f" {threads} thread(s): {bandwidth / 1e9:.1f} GB/s"
            )
            records.append(
                {
                    "workload": "read bandwidth",
                    "threads": threads,
                    "rows": n_rows,
                    "gb_per_s": bandwidth / 1e9,
                }
            )
            run_search(store, threads, bandwidth, records)
        del store
        gc.collect()
    for threads in ARGS.threads:
        set_threads(threads)
        run_bundle_and_decode(threads, records)
    print(
        f"\nresident bytes per stored symbol, {MEMORY_SYMBOLS:,} symbols x {DIM} bits"
        f" (raw bits: {DIM // 8} bytes)"
    )
    for row in memory_table():
        print(f"  {row['side']:<22} {row['bytes']:>10.0f}  {row['note']}")
        records.append({"workload": "memory", **row})
    info["load_average_end"] = os.getloadavg()
    print(f"\nload average at the end: {info['load_average_end']}")
    if ARGS.json:
        with open(ARGS.json, "w") as out:
            json.dump(
                {"machine": info, "args": vars(ARGS), "records": records}, out, indent=1
            )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, 2],
        help="thread counts to run every side with (default: 1 2)",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="codebook rows for the searches (default: 100000 1000000)",
    )
    parser.add_argument(
        "--reps",
        type=int,
        default=5,
        help="timed runs per side; bundles get 4x, decoding 2x (default: 5)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=20.0,
        help="seconds after which a side stops repeating (default: 20)",
    )
    parser.add_argument(
        "--max-run",
        type=float,
        default=30.0,
        help="skip a side whose one run is estimated above this many "
        "seconds (default: 30)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="20,000 rows and 2 runs per side: checks that every side works",
    )
    parser.add_argument(
        "--sides",
        nargs="+",
        help="run only the peers whose names start with these words (default: all)",
    )
    parser.add_argument(
        "--json", help="write the machine, arguments and every median here"
    )
    parser.add_argument("--memory-side", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.reps = [20_000], 2
    return args


if __name__ == "__main__":
    ARGS = parse_args()
    if ARGS.memory_side:
        print(memory_of(ARGS.memory_side))
    else:
        main()
