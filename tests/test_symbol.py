"""Tests of ``Symbol`` serialisation and of the metacode that folding writes."""

import json
import struct
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from scenefold import Atom, Bind, Ref, Scene, Seq, Space
from scenefold.compressor import SceneCompressor
from scenefold.errors import FormatError, SpaceMismatchError
from scenefold.flowgate import FlowGate
from scenefold.formula import depth, to_formula
from scenefold.symbol import (
    FORMAT_VERSION,
    MAGIC,
    PARTS_REGISTER,
    Metacode,
    Symbol,
    formula_checksum,
)
from scenefold.vocabulary import REF_KEY, seq_key
from strategies import scene_documents, scenes

STORM = (
    "storm = emotion: (fear + awe) + logic: (cause * wind + isa * weather) "
    "+ archetype: destroyer"
)



def pack(header: object, body: bytes, version: int = FORMAT_VERSION) -> bytes:
    """Return symbol bytes with a hand-made header, laid out as ``to_bytes`` does."""
    encoded = json.dumps(header).encode("utf-8")
    return MAGIC + bytes([version]) + struct.pack("<I", len(encoded)) + encoded + body


@pytest.fixture(scope="module")
def folded():
    compressor = SceneCompressor()
    text = (
        f"{STORM}\n"
        "tale = seq(calm, thunder, rain) + seq(rain, calm) + emotion: fear\n"
        "night = storm + tale\n"
        "year = night + logic: (after * night)\n"
        "потеря = страх + рассыпание + тьма + «тихое влечение»\n"
    )
    return compressor, compressor.fold_formula(text)


# --- serialisation ----------------------------------------------------------------


@given(scenes(max_registers=4, refs=False))
def test_bytes_round_trip(scene):
    symbol = SceneCompressor().fold(scene)
    assert Symbol.from_bytes(symbol.to_bytes()) == symbol


@given(scenes(max_registers=4, refs=False))
def test_bytes_round_trip_checks_space(scene):
    space = Space(dim=1024, seed=11)
    # A gate sized for one candidate never splits: only the bytes matter here.
    symbol = SceneCompressor(space, gate=FlowGate(space, codebook_size=1)).fold(scene)
    restored = Symbol.from_bytes(symbol.to_bytes(), space)
    assert restored == symbol


@pytest.mark.parametrize("name", ["storm", "tale", "night", "year", "потеря"])
def test_bytes_round_trip_examples(folded, name):
    _, symbols = folded
    restored = Symbol.from_bytes(symbols[name].to_bytes(), Space())
    assert restored == symbols[name]
    assert restored.name == name
    assert restored.metacode == symbols[name].metacode


def test_bytes_round_trip_split():
    compressor = SceneCompressor()
    scene = Scene.of("big", [Atom(f"a{i}") for i in range(150)])
    symbol = compressor.fold(scene)
    restored = Symbol.from_bytes(symbol.to_bytes())
    assert restored.metacode.parts == symbol.metacode.parts
    assert restored == symbol


def test_bytes_bits_dtype(folded):
    _, symbols = folded
    restored = Symbol.from_bytes(symbols["storm"].to_bytes())
    assert restored.bits.dtype == np.uint64
    assert restored.bits.shape == (8192 // 64,)


def test_bytes_bits_writable(folded):
    _, symbols = folded
    restored = Symbol.from_bytes(symbols["storm"].to_bytes())
    assert restored.bits.flags.writeable


def test_bytes_layout(folded):
    _, symbols = folded
    data = symbols["storm"].to_bytes()
    (length,) = struct.unpack("<I", data[6:10])
    header = json.loads(data[10 : 10 + length].decode("utf-8"))
    assert data[:5] == MAGIC
    assert data[5] == FORMAT_VERSION
    assert header["name"] == "storm"
    assert header["metacode"] == symbols["storm"].metacode.to_json()
    assert len(data) == 10 + length + 8192 // 8


def test_bytes_words_little_endian(folded):
    _, symbols = folded
    data = symbols["storm"].to_bytes()
    body = data[-(8192 // 8) :]
    first_word = int.from_bytes(body[:8], "little")
    assert first_word == int(symbols["storm"].bits[0])


def test_bytes_header_keeps_cyrillic(folded):
    _, symbols = folded
    assert "потеря".encode() in symbols["потеря"].to_bytes()


def test_bad_magic_raises(folded):
    _, symbols = folded
    data = b"XXSYM" + symbols["storm"].to_bytes()[5:]
    with pytest.raises(FormatError, match="not a scenefold symbol.*magic"):
        Symbol.from_bytes(data)


def test_empty_bytes_raise():
    with pytest.raises(FormatError, match="magic"):
        Symbol.from_bytes(b"")


def test_bad_version_raises(folded):
    _, symbols = folded
    data = bytearray(symbols["storm"].to_bytes())
    data[5] = FORMAT_VERSION + 1
    with pytest.raises(FormatError, match=f"version {FORMAT_VERSION + 1}") as error:
        Symbol.from_bytes(bytes(data))
    assert f"version {FORMAT_VERSION}" in str(error.value)


@pytest.mark.parametrize("cut", [5, 9, 12, 200, -1])
def test_truncated_bytes_raise(folded, cut):
    _, symbols = folded
    data = symbols["storm"].to_bytes()
    with pytest.raises(FormatError):
        Symbol.from_bytes(data[:cut])


def test_truncated_prefix_says_truncated(folded):
    _, symbols = folded
    with pytest.raises(FormatError, match="truncated: 8 bytes"):
        Symbol.from_bytes(symbols["storm"].to_bytes()[:8])


def test_truncated_body_says_sizes(folded):
    _, symbols = folded
    data = symbols["storm"].to_bytes()[:-1]
    with pytest.raises(FormatError, match="1023 bytes, expected 1024 for dim 8192"):
        Symbol.from_bytes(data)


def test_trailing_bytes_raise(folded):
    _, symbols = folded
    with pytest.raises(FormatError, match="1025 bytes"):
        Symbol.from_bytes(symbols["storm"].to_bytes() + b"\0")


def test_header_not_json_raises():
    with pytest.raises(FormatError, match="not valid JSON"):
        Symbol.from_bytes(MAGIC + bytes([1]) + struct.pack("<I", 3) + b"{x}")


def test_header_not_utf8_raises(folded):
    _, symbols = folded
    data = bytearray(symbols["storm"].to_bytes())
    data[10] = 0xFF
    with pytest.raises(FormatError, match="not valid JSON"):
        Symbol.from_bytes(bytes(data))


def test_header_without_metacode_raises():
    with pytest.raises(FormatError, match="no metacode"):
        Symbol.from_bytes(pack({"name": "x"}, b""))


def test_header_list_raises():
    with pytest.raises(FormatError, match="no metacode"):
        Symbol.from_bytes(pack(["metacode"], b""))


def test_metacode_missing_field_raises():
    with pytest.raises(FormatError, match="invalid metacode.*'dim'"):
        Symbol.from_bytes(pack({"metacode": {"model": "bsc"}}, b""))


def test_metacode_bad_slots_raise(folded):
    _, symbols = folded
    metacode = dict(symbols["storm"].metacode.to_json(), slots=[1, 2])
    with pytest.raises(FormatError, match="invalid metacode"):
        Symbol.from_bytes(pack({"metacode": metacode}, b"\0" * 1024))


@pytest.mark.parametrize("dim", [0, 8, 72])
def test_metacode_bad_dim_raises(folded, dim):
    _, symbols = folded
    metacode = dict(symbols["storm"].metacode.to_json(), dim=dim)
    with pytest.raises(FormatError):
        Symbol.from_bytes(pack({"metacode": metacode}, b"\0" * (dim // 8)))


def test_other_seed_raises(folded):
    _, symbols = folded
    with pytest.raises(SpaceMismatchError, match="seed=0") as error:
        Symbol.from_bytes(symbols["storm"].to_bytes(), Space(seed=1))
    assert "open it with that space" in str(error.value)


def test_other_dim_raises(folded):
    _, symbols = folded
    with pytest.raises(SpaceMismatchError, match="dim=8192"):
        Symbol.from_bytes(symbols["storm"].to_bytes(), Space(dim=4096))


def test_no_space_skips_check(folded):
    _, symbols = folded
    restored = Symbol.from_bytes(symbols["storm"].to_bytes())
    with pytest.raises(SpaceMismatchError):
        restored.metacode.check_space(Space(seed=1))


def test_metacode_json_round_trip(folded):
    _, symbols = folded
    for symbol in symbols.values():
        data = json.loads(json.dumps(symbol.metacode.to_json()))
        assert Metacode.from_json(data) == symbol.metacode, symbol.name


# --- metacode fields --------------------------------------------------------------


def test_metacode_space(folded):
    _, symbols = folded
    metacode = symbols["storm"].metacode
    assert (metacode.model, metacode.dim, metacode.seed) == ("bsc", 8192, 0)


def test_metacode_storm_slots(folded):
    _, symbols = folded
    assert symbols["storm"].metacode.slots == {
        "archetype": {"": 1},
        "emotion": {"": 2},
        "logic": {"cause": 1, "isa": 1},
    }


def test_metacode_storm_counts(folded):
    _, symbols = folded
    metacode = symbols["storm"].metacode
    assert metacode.counts_per_register() == {"archetype": 1, "emotion": 2, "logic": 2}
    assert metacode.n_items == 5


def test_metacode_sequence_slots(folded):
    _, symbols = folded
    metacode = symbols["tale"].metacode
    assert metacode.slots["main"] == {
        seq_key(0, 0): 1,
        seq_key(0, 1): 1,
        seq_key(0, 2): 1,
        seq_key(1, 0): 1,
        seq_key(1, 1): 1,
    }
    assert metacode.slots["emotion"] == {"": 1}


def test_metacode_sequence_lengths(folded):
    compressor, symbols = folded
    scene = compressor.vocabulary.scenes["tale"]
    metacode = symbols["tale"].metacode
    seqs = [x for x in scene.items("main") if isinstance(x, Seq)]
    assert metacode.sequences == {"main": tuple(len(x.items) for x in seqs)}
    assert sorted(metacode.sequences["main"]) == [2, 3]


@pytest.mark.parametrize(
    "name, expected", [("storm", 1), ("tale", 1), ("night", 2), ("year", 3)]
)
def test_metacode_depth(folded, name, expected):
    _, symbols = folded
    assert symbols[name].metacode.depth == expected


@pytest.mark.parametrize("name", ["storm", "tale", "night", "year", "потеря"])
def test_metacode_checksum(folded, name):
    compressor, symbols = folded
    scene = compressor.vocabulary.scenes[name]
    assert symbols[name].metacode.checksum == formula_checksum(scene.to_formula())


def test_checksum_format():
    checksum = formula_checksum("x = a")
    assert len(checksum) == 16
    assert int(checksum, 16) >= 0


def test_metacode_parts_empty(folded):
    _, symbols = folded
    assert symbols["night"].metacode.parts == ()


def test_metacode_split_parts():
    compressor = SceneCompressor()
    scene = Scene.of("big", [Atom(f"a{i}") for i in range(150)])
    metacode = compressor.fold(scene).metacode
    assert metacode.parts == ("big#1", "big#2", "big#3")
    assert metacode.slots == {PARTS_REGISTER: {REF_KEY: 3}}
    assert metacode.checksum == formula_checksum(scene.to_formula())


def test_metacode_split_part_counts():
    compressor = SceneCompressor()
    scene = Scene.of("big", [Atom(f"a{i}") for i in range(150)])
    metacode = compressor.fold(scene).metacode
    counts = [
        compressor.vocabulary.symbol(part).metacode.n_items for part in metacode.parts
    ]
    assert sum(counts) == 150
    assert max(counts) <= compressor.gate.capacity


def expected_slots(scene: Scene) -> dict[str, dict[str, int]]:
    """Count the terms of each register and slot key straight from the scene."""
    slots: dict[str, Counter] = {}
    for register, items in scene.registers.items():
        counts = slots.setdefault(register, Counter())
        # Sequences are numbered in the canonical item order of Scene.items.
        sequences = [x for x in scene.items(register) if isinstance(x, Seq)]
        for item in items:
            if isinstance(item, Atom):
                counts[""] += 1
            elif isinstance(item, Ref):
                counts[REF_KEY] += 1
            elif isinstance(item, Bind):
                counts[item.role] += 1
        for j, sequence in enumerate(sequences):
            for i in range(len(sequence.items)):
                counts[seq_key(j, i)] += 1
    return {register: dict(counts) for register, counts in slots.items()}


@given(scene_documents(max_registers=4, max_items=4))
def test_metacode_matches_scenes(document):
    compressor = SceneCompressor()
    symbols = compressor.fold_many(document)
    truth = {scene.name: scene for scene in document}
    for name, symbol in symbols.items():
        scene = truth[name]
        metacode = symbol.metacode
        assert metacode.slots == expected_slots(scene), name
        assert metacode.n_items == sum(
            len(x.items) if isinstance(x, Seq) else 1 for x in scene.items()
        )
        assert metacode.depth == depth(name, truth), name
        assert metacode.checksum == formula_checksum(to_formula(scene)), name
        assert metacode.parts == (), name
