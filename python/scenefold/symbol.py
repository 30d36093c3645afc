"""Symbols: folded scenes as bits plus the metacode that describes their structure.

A symbol serialises to versioned bytes, never with pickle::

    magic  b"SFSYM"     5 bytes
    version             1 byte, currently 1
    header length       4 bytes, little-endian unsigned
    header              UTF-8 JSON: name, metacode
    bits                dim / 8 bytes, the uint64 words in little-endian order
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field

import numpy as np

from scenefold._core import Space
from scenefold.errors import FormatError, SpaceMismatchError

MAGIC = b"SFSYM"
FORMAT_VERSION = 1

#: Register that contains the parts of a scene split to fit the capacity of one vector.
PARTS_REGISTER = "#parts"


def formula_checksum(formula: str) -> str:
    """Return the first 16 hex digits of the SHA-256 of a canonical formula."""
    return hashlib.sha256(formula.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Metacode:
    """The structural header of a folded scene.

    Attributes
    ----------
    model, dim, seed
        The space the bits belong to.
    slots
        Register name to slot key to item count. The key ``""`` counts plain atoms,
        ``"#ref"`` sub-scene references, a role label that role's pairs and
        ``"#seq:j:i"`` position ``i`` of the ``j``-th sequence of the register.
    sequences
        Register name to the lengths of its sequences, in canonical order.
    depth
        1 for a scene without sub-scenes, else 1 + the depth of its deepest sub-scene;
        the parts of a split scene are not sub-scenes and add no level.
    checksum
        :func:`formula_checksum` of the canonical formula of the folded scene.
    parts
        Names of the part symbols when the scene was split to fit one vector.
    """

    model: str
    dim: int
    seed: int
    slots: dict[str, dict[str, int]] = field(default_factory=dict)
    sequences: dict[str, tuple[int, ...]] = field(default_factory=dict)
    depth: int = 1
    checksum: str = ""
    parts: tuple[str, ...] = ()

    @property
    def n_items(self) -> int:
        """Number of bound terms in the vector, the quantity capacity limits."""
        return sum(sum(keys.values()) for keys in self.slots.values())

    def counts_per_register(self) -> dict[str, int]:
        """Return the number of terms in each register."""
        return {reg: sum(keys.values()) for reg, keys in self.slots.items()}

    def to_json(self) -> dict:
        """Return the metacode as JSON-compatible data."""
        return {
            "model": self.model,
            "dim": self.dim,
            "seed": self.seed,
            "slots": self.slots,
            "sequences": {k: list(v) for k, v in self.sequences.items()},
            "depth": self.depth,
            "checksum": self.checksum,
            "parts": list(self.parts),
        }

    @classmethod
    def from_json(cls, data: dict) -> Metacode:
        """Build a metacode from :meth:`to_json` output; raises ``FormatError``."""
        try:
            return cls(
                model=str(data["model"]),
                dim=int(data["dim"]),
                seed=int(data["seed"]),
                slots={
                    str(r): {str(k): int(n) for k, n in keys.items()}
                    for r, keys in data["slots"].items()
                },
                sequences={
                    str(r): tuple(int(n) for n in lengths)
                    for r, lengths in data.get("sequences", {}).items()
                },
                depth=int(data.get("depth", 1)),
                checksum=str(data.get("checksum", "")),
                parts=tuple(str(p) for p in data.get("parts", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise FormatError(f"invalid metacode {data!r}: {error}") from error

    def check_space(self, space: Space) -> None:
        """Raise ``SpaceMismatchError`` unless the metacode belongs to ``space``."""
        if (self.model, self.dim, self.seed) != (space.model, space.dim, space.seed):
            raise SpaceMismatchError(
                f"the symbol belongs to Space(model={self.model!r}, dim={self.dim}, "
                f"seed={self.seed}), not to {space!r}; open it with that space"
            )


@dataclass(frozen=True, eq=False)
class Symbol:
    """A folded scene: its name, its bits and its metacode."""

    name: str
    bits: np.ndarray
    metacode: Metacode

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Symbol):
            return NotImplemented
        return (
            self.name == other.name
            and self.metacode == other.metacode
            and np.array_equal(self.bits, other.bits)
        )

    def __hash__(self) -> int:
        return hash((self.name, self.bits.tobytes()))

    def __repr__(self) -> str:
        meta = self.metacode
        return (
            f"Symbol(name={self.name!r}, dim={meta.dim}, items={meta.n_items}, "
            f"depth={meta.depth})"
        )

    def to_bytes(self) -> bytes:
        """Serialise to the versioned byte format of this module."""
        header = json.dumps(
            {"name": self.name, "metacode": self.metacode.to_json()},
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        words = np.ascontiguousarray(self.bits, dtype="<u8").tobytes()
        return MAGIC + bytes([FORMAT_VERSION]) + struct.pack("<I", len(header)) + header + words

    @classmethod
    def from_bytes(cls, data: bytes, space: Space | None = None) -> Symbol:
        """Read bytes written by :meth:`to_bytes`, checking the space when given."""
        if not data.startswith(MAGIC):
            raise FormatError(
                f"not a scenefold symbol: expected magic {MAGIC!r}, got {bytes(data[:5])!r}"
            )
        if len(data) < 10:
            raise FormatError(f"symbol bytes are truncated: {len(data)} bytes")
        version = data[5]
        if version != FORMAT_VERSION:
            raise FormatError(
                f"symbol format version {version} is not supported; this scenefold "
                f"reads version {FORMAT_VERSION}"
            )
        (length,) = struct.unpack("<I", data[6:10])
        if len(data) < 10 + length:
            raise FormatError(
                f"symbol bytes are truncated: the header needs {length} bytes, "
                f"{len(data) - 10} follow"
            )
        try:
            header = json.loads(data[10 : 10 + length].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise FormatError(f"symbol header is not valid JSON: {error}") from error
        if not isinstance(header, dict) or "metacode" not in header:
            raise FormatError("symbol header has no metacode")
        metacode = Metacode.from_json(header["metacode"])
        if metacode.dim <= 0 or metacode.dim % 64:
            raise FormatError(
                f"symbol header has dim {metacode.dim}; a dim is a positive multiple "
                "of 64"
            )
        body = data[10 + length :]
        if len(body) != metacode.dim // 8:
            raise FormatError(
                f"symbol body has {len(body)} bytes, expected {metacode.dim // 8} "
                f"for dim {metacode.dim}"
            )
        if space is not None:
            metacode.check_space(space)
        bits = np.frombuffer(body, dtype="<u8").astype(np.uint64)
        return cls(name=str(header.get("name", "")), bits=bits, metacode=metacode)
