"""The persistent lexicon: one SQLite file of folded symbols (the embedded default).

The file stores, for each symbol, its name, canonical formula, metacode, registers,
source and bits; atoms are never stored because they are derived from their labels.
It also stores which labels each slot has held (the candidates the expander
searches) and the word senses of imported lexicons. Writes happen in transactions in
WAL mode, so a process killed mid-import leaves a file that opens and contains every
batch committed before the kill.

A file records its schema version and its space; opening it with another schema
version or another space raises an error instead of reusing it silently.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scenefold._core import Codebook, Space
from scenefold.errors import (
    FormatError,
    ScenefoldError,
    SpaceMismatchError,
    UnknownSymbolError,
)
from scenefold.compressor import canonical_text
from scenefold.formula import parse_scene
from scenefold.scene import Ref, Scene
from scenefold.symbol import PARTS_REGISTER, Metacode, Symbol
from scenefold.vocabulary import SYMBOL_ROW_PREFIX, Vocabulary

#: Version of the table layout; a file of another version is not opened.
SCHEMA_VERSION = 3

#: Environment variable that sets the default store path.
STORE_ENV = "SCENEFOLD_STORE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS symbols (
    name TEXT PRIMARY KEY,
    formula TEXT NOT NULL,
    metacode TEXT NOT NULL,
    registers TEXT NOT NULL,
    source TEXT NOT NULL,
    top INTEGER NOT NULL,
    refs TEXT NOT NULL,
    bits BLOB
);
CREATE INDEX IF NOT EXISTS symbols_source ON symbols (source, top);
CREATE TABLE IF NOT EXISTS slots (
    register TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (register, key, label)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS senses (
    word TEXT NOT NULL,
    name TEXT NOT NULL,
    rank INTEGER NOT NULL,
    PRIMARY KEY (word, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
    source TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    done INTEGER NOT NULL,
    problems INTEGER NOT NULL,
    detail TEXT NOT NULL
);
"""


def default_store_path() -> Path:
    """Return ``$SCENEFOLD_STORE``, else ``lexicon.sqlite`` in the user's data folder."""
    configured = os.environ.get(STORE_ENV)
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "scenefold" / "lexicon.sqlite"


@dataclass(frozen=True)
class StoredSymbol:
    """A row of the symbols table: the symbol and what it was folded from."""

    symbol: Symbol
    formula: str
    source: str
    refs: tuple[str, ...] = ()


class Lexicon:
    """A persistent store of symbols in one SQLite file.

    Parameters
    ----------
    path
        The file; :func:`default_store_path` when omitted. Missing parent folders
        are created.
    space
        The space of a new file. An existing file keeps its own space; passing
        another one raises ``SpaceMismatchError``.
    create
        False raises ``FileNotFoundError`` instead of creating a missing file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        space: Space | None = None,
        *,
        create: bool = True,
    ) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        if self.path.is_dir():
            raise FormatError(
                f"{self.path} is a folder; give the path of a lexicon file, such as "
                f"{self.path / 'lexicon.sqlite'}"
            )
        if not self.path.exists():
            if not create:
                raise FileNotFoundError(
                    f"no lexicon at {self.path}; build one with 'scenefold build "
                    "wordnet' or pass --store PATH"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as error:
            raise FormatError(f"cannot open the lexicon {self.path}: {error}") from error
        try:
            self.space = self._open_meta(space)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise FormatError(f"{self.path} is not a SQLite file: {error}") from error
        except ScenefoldError:
            self._db.close()
            raise
        self._vocabulary: StoreVocabulary | None = None

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __enter__(self) -> Lexicon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_meta(self, space: Space | None) -> Space:
        try:
            tables = {
                row[0]
                for row in self._db.execute("SELECT name FROM sqlite_master")
            }
        except sqlite3.DatabaseError as error:
            raise FormatError(f"{self.path} is not a SQLite file: {error}") from error
        if "meta" not in tables:
            if tables:
                raise FormatError(
                    f"{self.path} is a SQLite file but not a scenefold lexicon "
                    f"(its tables are {', '.join(sorted(tables))})"
                )
            space = space if space is not None else Space()
            with self._db:
                self._db.execute("BEGIN")
                self._db.executescript(_SCHEMA)
                self._db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("model", space.model),
                        ("dim", str(space.dim)),
                        ("seed", str(space.seed)),
                    ],
                )
            return space
        meta = dict(self._db.execute("SELECT key, value FROM meta"))
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise FormatError(
                f"{self.path} has lexicon schema version {version}, but this scenefold "
                f"reads version {SCHEMA_VERSION}; rebuild it into a new file"
            )
        stored = Space(meta["model"], int(meta["dim"]), int(meta["seed"]))
        if space is not None and space != stored:
            raise SpaceMismatchError(
                f"{self.path} contains symbols of {stored!r}, not of {space!r}; open it "
                "without a space, or build into another file"
            )
        return stored

    # --- reading ---------------------------------------------------------------

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM symbols WHERE top = 1").fetchone()[0]

    def __contains__(self, name: object) -> bool:
        row = self._db.execute("SELECT 1 FROM symbols WHERE name = ?", (name,))
        return row.fetchone() is not None

    def count(self, source: str | None = None, top_only: bool = True) -> int:
        """Return the number of symbols, of one source or all."""
        query = "SELECT count(*) FROM symbols WHERE (? IS NULL OR source = ?)"
        if top_only:
            query += " AND top = 1"
        return self._db.execute(query, (source, source)).fetchone()[0]

    def names(self, source: str | None = None, top_only: bool = True) -> list[str]:
        """Return the names of the symbols, in name order."""
        query = "SELECT name FROM symbols WHERE (? IS NULL OR source = ?)"
        if top_only:
            query += " AND top = 1"
        query += " ORDER BY name"
        return [row[0] for row in self._db.execute(query, (source, source))]

    def get(self, name: str) -> StoredSymbol:
        """Return the stored symbol called ``name``; raises ``UnknownSymbolError``."""
        row = self._db.execute(
            "SELECT formula, metacode, source, refs, bits FROM symbols WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            raise UnknownSymbolError(f"no symbol named {name!r} in {self.path}")
        formula, metacode, source, refs, bits = row
        meta = Metacode.from_json(json.loads(metacode))
        if bits is None or len(bits) != self.space.dim // 8:
            raise FormatError(f"symbol {name!r} in {self.path} has no stored bits")
        vector = np.frombuffer(bits, dtype="<u8").astype(np.uint64)
        return StoredSymbol(
            Symbol(name, vector, meta), formula, source, tuple(json.loads(refs))
        )

    def scene(self, name: str) -> Scene:
        """Return the scene a stored symbol was folded from."""
        stored = self.get(name)
        if stored.formula.startswith(PARTS_REGISTER):
            parts = frozenset(Ref(part) for part in stored.symbol.metacode.parts)
            return Scene(name, {PARTS_REGISTER: parts})
        return parse_scene(stored.formula, known=stored.refs, bare_known=False)

    def senses(self, word: str) -> list[str]:
        """Return the names of the symbols a word names, in sense order."""
        key = word.strip().lower().replace(" ", "_")
        rows = self._db.execute(
            "SELECT name FROM senses WHERE word = ? ORDER BY rank, name", (key,)
        )
        return [row[0] for row in rows]

    def nearest_words(self, word: str, n: int = 5) -> list[str]:
        """Return up to ``n`` known words closest in spelling to ``word``."""
        import difflib

        key = word.strip().lower().replace(" ", "_")
        prefix = key[:2]
        candidates = [
            row[0]
            for row in self._db.execute(
                "SELECT DISTINCT word FROM senses WHERE word >= ? AND word < ?",
                (prefix, prefix + "\U0010ffff"),
            )
        ]
        if len(candidates) < n:
            candidates = [
                row[0] for row in self._db.execute("SELECT DISTINCT word FROM senses")
            ]
        return difflib.get_close_matches(key, candidates, n=n, cutoff=0.6)

    def slot_labels(self, register: str, key: str) -> list[str]:
        """Return the candidate labels a slot has held, in label order."""
        rows = self._db.execute(
            "SELECT label FROM slots WHERE register = ? AND key = ? ORDER BY label",
            (register, key),
        )
        return [row[0] for row in rows]

    def import_state(self, source: str) -> dict | None:
        """Return the progress record of an import, or None if it never ran."""
        row = self._db.execute(
            "SELECT state, done, problems, detail FROM imports WHERE source = ?",
            (source,),
        ).fetchone()
        if row is None:
            return None
        state, done, problems, detail = row
        return {"state": state, "done": done, "problems": problems, **json.loads(detail)}

    def iter_symbols(
        self, names: Iterable[str] | None = None, source: str | None = None
    ) -> Iterator[StoredSymbol]:
        """Yield stored symbols by name, or every top-level one of a source."""
        if names is None:
            names = self.names(source)
        for name in names:
            yield self.get(name)

    # --- writing ---------------------------------------------------------------

    def write(
        self,
        symbols: Iterable[tuple[Symbol, Scene, bool]],
        source: str,
        *,
        slots: Iterable[tuple[str, str, str]] = (),
        senses: Iterable[tuple[str, str, int]] = (),
        progress: tuple[int, int] | None = None,
    ) -> None:
        """Write one batch in one transaction: all of it lands, or none of it.

        Parameters
        ----------
        symbols
            ``(symbol, scene, top)`` triples; ``top`` is False for the parts of a
            split scene, which unfold only through their parent.
        source
            Where the scenes came from, such as ``"wordnet"``.
        slots
            ``(register, key, row label)`` candidates the symbols' slots held.
        senses
            ``(word, symbol name, rank)`` entries of the word index.
        progress
            ``(done, problems)`` counters of the import to store with the batch.
        """
        rows = []
        for symbol, scene, top in symbols:
            symbol.metacode.check_space(self.space)
            words = np.ascontiguousarray(symbol.bits, dtype="<u8").tobytes()
            rows.append(
                (
                    symbol.name,
                    canonical_text(scene),
                    json.dumps(symbol.metacode.to_json(), ensure_ascii=False),
                    ",".join(sorted(symbol.metacode.slots)),
                    source,
                    int(top),
                    json.dumps(sorted(scene.refs()), ensure_ascii=False),
                    words,
                )
            )
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO symbols VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._db.executemany("INSERT OR IGNORE INTO slots VALUES (?, ?, ?)", slots)
            self._db.executemany("INSERT OR IGNORE INTO senses VALUES (?, ?, ?)", senses)
            if progress is not None:
                self._set_import(source, "running", progress[0], progress[1], {})
        if self._vocabulary is not None:
            self._vocabulary.forget()

    def set_import(
        self, source: str, state: str, done: int, problems: int, detail: dict
    ) -> None:
        """Record the state of an import in its own transaction."""
        with self._db:
            self._db.execute("BEGIN")
            self._set_import(source, state, done, problems, detail)

    def _set_import(
        self, source: str, state: str, done: int, problems: int, detail: dict
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO imports VALUES (?, ?, ?, ?, ?)",
            (source, state, done, problems, json.dumps(detail)),
        )

    # --- decoding --------------------------------------------------------------

    def vocabulary(self) -> StoreVocabulary:
        """Return a vocabulary backed by this file, loading slots on first use."""
        if self._vocabulary is None:
            self._vocabulary = StoreVocabulary(self)
        return self._vocabulary


class StoreVocabulary(Vocabulary):
    """A vocabulary whose symbols and slot candidates are read from a lexicon.

    Slot codebooks are built on first use from the labels the file records for
    that slot; symbols are read when a slot or an unfolding needs them.
    """

    def __init__(self, lexicon: Lexicon) -> None:
        super().__init__(lexicon.space)
        self.lexicon = lexicon
        self._all_items: Codebook | None = None

    def load_structure(self) -> None:
        """Read the registers, roles and sequence keys every stored slot uses."""
        rows = self.lexicon._db.execute("SELECT DISTINCT register, key FROM slots")
        for register, key in rows:
            if register != PARTS_REGISTER:
                self.registers.add(register)
            if key.startswith("#seq:"):
                self.seq_keys.add(key)
            elif key and not key.startswith("#"):
                self.roles.add(key)

    def forget(self) -> None:
        """Drop cached codebooks after the file changed."""
        self._slot_books.clear()
        self.slot_members.clear()
        self._labels_cache.clear()
        self._all_items = None

    def __contains__(self, name: object) -> bool:
        return name in self.symbols or name in self.lexicon

    def symbol(self, name: str) -> Symbol:
        """Return a symbol, reading it from the file the first time."""
        found = self.symbols.get(name)
        if found is None:
            found = self.lexicon.get(name).symbol
            self.symbols[name] = found
        return found

    def row_vectors(self, row_labels: list[str]) -> np.ndarray:
        """Return candidate vectors, reading symbol rows from the file."""
        for label in row_labels:
            if label.startswith(SYMBOL_ROW_PREFIX):
                self.symbol(label[len(SYMBOL_ROW_PREFIX) :])
        return super().row_vectors(row_labels)

    def slot_codebook(self, register: str, key: str) -> Codebook:
        """Return the codebook of a slot's candidates, read from the file once."""
        if (register, key) not in self.slot_members:
            labels = self.lexicon.slot_labels(register, key)
            self.slot_members[(register, key)] = dict.fromkeys(labels)
        return super().slot_codebook(register, key)

    @property
    def items(self) -> Codebook:
        """Every candidate of every slot, built on first use."""
        if self._all_items is None:
            labels = [
                row[0]
                for row in self.lexicon._db.execute(
                    "SELECT DISTINCT label FROM slots ORDER BY label"
                )
            ]
            self._all_items = Codebook(self.space, labels, self.row_vectors(labels))
        return self._all_items
