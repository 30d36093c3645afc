"""Hypothesis strategies for labels, scenes and documents of scenes.

Every label these strategies draw is NFC, non-empty and free of the characters that
no label may contain (control characters, lone surrogates, line and paragraph
separators), so every scene they build can be written as a formula. Atom labels never
equal the name of the scene or of a scene it may refer to, because such an atom would
read back from a formula as a reference.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence

from hypothesis import strategies as st
from scenefold.scene import STANDARD_REGISTERS, Atom, Bind, Ref, Scene, Seq

_FORBIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")

# Labels that exercise quoting, the keyword, WordNet names and several scripts.
_SAMPLE_LABELS = (
    "fear",
    "awe",
    "loss.n.01",
    "red_ink",
    "it's",
    "-1.5",
    "потеря",
    "тихое влечение",
    "⟁",
    "🔥",
    "👩‍🔬",
    "🏳️‍🌈",
    "seq",
    "Seq",
    "seq(",
    "#tag",
    "@home",
    "a b",
    'say "hi"',
    "back\\slash",
    '\\"',
    "«guillemets»",
    "a»b",
    "x = y",
    "1+1",
    "2*3",
    "key:value",
    "(group)",
    "a,b;c",
    "café",
    "cafe\u0301",
    "e\u0301\u0323",
    "\u0301leading mark",
    "non\u00a0breaking",
    "zero\u200bwidth",
)

# Characters for random labels: reserved characters, quotes, escapes, spaces,
# combining marks and several scripts, so that short draws hit the quoting rules.
_TRICKY_CHARACTERS = "ab_.-'0жЖё⟁🔥\u0301\u0308\u0323 \u00a0\"\\=+*:(),;#@«»"

_REGISTER_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789_-жэм"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _is_valid_label(label: str) -> bool:
    if not label:
        return False
    return all(
        unicodedata.category(char) not in _FORBIDDEN_CATEGORIES for char in label
    )


def _is_valid_scene_name(name: str) -> bool:
    return _is_valid_label(name) and name != "seq" and not name.startswith("#")


def labels() -> st.SearchStrategy[str]:
    """Draw NFC labels from ASCII, Cyrillic, glyphs, emoji and tricky characters."""
    ascii_text = st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=8
    )
    cyrillic = st.text(
        st.characters(min_codepoint=0x0400, max_codepoint=0x04FF),
        min_size=1,
        max_size=8,
    )
    tricky = st.text(st.sampled_from(_TRICKY_CHARACTERS), min_size=1, max_size=8)
    any_text = st.text(
        st.characters(exclude_categories=_FORBIDDEN_CATEGORIES), min_size=1, max_size=6
    )
    return (
        st.one_of(
            st.sampled_from(_SAMPLE_LABELS), ascii_text, cyrillic, tricky, any_text
        )
        .map(_nfc)
        .filter(_is_valid_label)
    )


def scene_names() -> st.SearchStrategy[str]:
    """Draw labels that can name a scene: not ``seq`` and not starting with ``#``."""
    return labels().filter(_is_valid_scene_name)


def register_names() -> st.SearchStrategy[str]:
    """Draw register names: the standard ones and identifiers of letters and digits."""
    custom = st.text(st.sampled_from(_REGISTER_CHARACTERS), min_size=1, max_size=8)
    return st.one_of(st.sampled_from(STANDARD_REGISTERS), custom)


@st.composite
def scenes(
    draw: st.DrawFn,
    max_registers: int = 3,
    max_items: int = 4,
    refs: bool | Sequence[str] = True,
    name: str | None = None,
    exclude: Collection[str] = (),
) -> Scene:
    """Draw a scene with atoms, role–filler pairs, sequences and references.

    Parameters
    ----------
    max_registers
        Maximum number of registers.
    max_items
        Maximum number of items in one register.
    refs
        True to refer to up to three drawn scene names, False for no references, or
        the names the scene may refer to.
    name
        The scene's name, drawn when None.
    exclude
        Labels that atoms must not have, such as the names of the other scenes of a
        document.
    """
    scene_name = name if name is not None else draw(scene_names())
    if refs is True:
        other_names = scene_names().filter(lambda ref: ref != scene_name)
        ref_names = draw(st.lists(other_names, max_size=3, unique=True))
    elif refs is False:
        ref_names = []
    else:
        ref_names = [ref for ref in refs if ref != scene_name]
    avoided = {scene_name, *ref_names, *(_nfc(label) for label in exclude)}

    atoms = labels().filter(lambda label: label not in avoided).map(Atom)
    if ref_names:
        fillers = st.one_of(atoms, st.sampled_from(ref_names).map(Ref))
    else:
        fillers = atoms
    sequences = st.lists(fillers, min_size=1, max_size=4).map(
        lambda items: Seq(tuple(items))
    )
    items = st.one_of(fillers, st.builds(Bind, labels(), fillers), sequences)
    registers = draw(
        st.dictionaries(
            register_names(),
            st.frozensets(items, min_size=1, max_size=max_items),
            max_size=max_registers,
        )
    )
    return Scene(scene_name, registers)


@st.composite
def scene_documents(
    draw: st.DrawFn, max_scenes: int = 4, max_registers: int = 3, max_items: int = 3
) -> list[Scene]:
    """Draw scenes with distinct names that refer to each other without a cycle.

    Each scene may refer only to scenes drawn before it, and the list is shuffled, so
    references point both forward and backward in the returned order. Atom labels
    never equal a scene name of the document.
    """
    names = draw(st.lists(scene_names(), min_size=1, max_size=max_scenes, unique=True))
    document = [
        draw(
            scenes(
                max_registers=max_registers,
                max_items=max_items,
                refs=names[:index],
                name=name,
                exclude=names,
            )
        )
        for index, name in enumerate(names)
    ]
    return draw(st.permutations(document))
