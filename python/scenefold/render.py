"""Renderers of an unfolded meaning at five levels of detail.

``glyph`` is one character, ``symbol`` the name, ``formula`` the canonical formula,
``outline`` the registers and anchors with their activations, and ``story`` prose
that walks the unfolded field and says why each item is there.
"""

from __future__ import annotations

import hashlib
import unicodedata

from scenefold.errors import InvalidArgumentError
from scenefold.expander import Found, Unfolding
from scenefold.formula import to_formula
from scenefold.symbol import PARTS_REGISTER

#: Levels from the densest to the fullest.
LEVELS = ("glyph", "symbol", "formula", "outline", "story")

#: Glyphs of common emotion and archetype labels, English and Russian.
GLYPHS = {
    "anger": "😠", "гнев": "😠", "злость": "😠",
    "anticipation": "⏳", "ожидание": "⏳",
    "disgust": "🤢", "отвращение": "🤢",
    "fear": "😨", "страх": "😨",
    "joy": "😊", "радость": "😊",
    "sadness": "😢", "печаль": "😢", "грусть": "😢",
    "surprise": "😮", "удивление": "😮",
    "trust": "🤝", "доверие": "🤝",
    "positive": "✨", "negative": "🌑",
    "pain": "💔", "боль": "💔", "loss": "🥀", "потеря": "🥀",
    "darkness": "🌑", "тьма": "🌑", "awe": "🌌",
    "person": "👤", "animal": "🐾", "plant": "🌿", "place": "📍",
    "artifact": "🛠", "act": "🎬", "event": "⚡", "feeling": "💗",
    "food": "🍞", "body": "🫀", "time": "⌛", "communication": "💬",
    "cognition": "🧠", "motion": "🏃", "weather": "🌦", "destroyer": "🌪",
    "group": "👥", "state": "◐", "change": "🔄", "creation": "✍",
}

#: Glyphs for meanings with no entry above, chosen by the symbol's bits.
PALETTE = "◆◇○●△▽□■⬡⬢✦✧☉☽⟁⌘❖✶✹⬟"

def detect_language(text: str) -> str:
    """Return ``"ru"`` when the text is mostly Cyrillic letters, else ``"en"``."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    cyrillic = sum(1 for c in letters if unicodedata.name(c, "").startswith("CYRILLIC"))
    return "ru" if cyrillic * 2 >= len(letters) else "en"


def _is_glyph(name: str) -> bool:
    return len(name) == 1 and not name.isalnum()


def render_glyph(unfolding: Unfolding) -> str:
    """Return one character for the meaning: its own glyph name, the glyph of its
    strongest emotion or archetype, or a palette glyph chosen by its content."""
    if _is_glyph(unfolding.name):
        return unfolding.name
    for register in ("emotion", "archetype", "main", "logic"):
        for found in unfolding.anchors(register):
            glyph = GLYPHS.get(found.label.lower())
            if glyph:
                return glyph
    glyph = GLYPHS.get(unfolding.name.split(".")[0].lower())
    if glyph:
        return glyph
    digest = hashlib.sha256(to_formula(unfolding.scene).encode("utf-8")).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def render_symbol(unfolding: Unfolding) -> str:
    """Return the symbol's name."""
    return unfolding.name


def render_formula(unfolding: Unfolding) -> str:
    """Return the canonical formula of the decoded scene."""
    return to_formula(unfolding.scene)


def _slot_text(found: Found) -> str:
    if found.key == "":
        return found.label
    if found.key.startswith("#seq:"):
        _, sequence, position = found.key.split(":")
        return f"seq{int(sequence) + 1}[{int(position) + 1}] {found.label}"
    return f"{found.key} → {found.label}"


def render_outline(unfolding: Unfolding) -> str:
    """Return the registers and their anchors with activation, z-score and margin."""
    status = "exact" if unfolding.exact else "not exact"
    lines = [f"{unfolding.name}  ({status}, {len(unfolding.found)} items)"]
    by_register: dict[str, list[Found]] = {}
    for found in unfolding.anchors():
        by_register.setdefault(found.register, []).append(found)
    width = max((len(_slot_text(f)) for f in unfolding.found), default=10)
    for register in sorted(by_register):
        if register == PARTS_REGISTER:
            continue
        lines.append(f"  {register}")
        for found in by_register[register]:
            lines.append(
                f"    {_slot_text(found):<{width}}  activation {found.activation:.3f}"
                f"  z {found.z:5.1f}  margin {found.margin:.3f}"
            )
    for reason in unfolding.reasons:
        lines.append(f"  ! {reason}")
    return "\n".join(lines)


def _strength(found: Found, language: str) -> str:
    words = {
        "en": ("clearly", "firmly", "faintly"),
        "ru": ("отчётливо", "уверенно", "едва"),
    }[language]
    if found.z >= 30:
        return words[0]
    if found.z >= 10:
        return words[1]
    return words[2]


_REGISTER_NAMES = {
    "en": {
        "main": "at its core",
        "logic": "in its logic",
        "emotion": "in its emotional layer",
        "archetype": "as an archetype",
    },
    "ru": {
        "main": "в ядре",
        "logic": "в логике",
        "emotion": "в эмоциональном слое",
        "archetype": "в архетипе",
    },
}


def _register_phrase(register: str, language: str) -> str:
    known = _REGISTER_NAMES[language].get(register)
    if known:
        return known
    return f"in the register “{register}”" if language == "en" else f"в регистре «{register}»"


def _item_sentence(found: Found, language: str) -> str:
    strength = _strength(found, language)
    evidence = (
        f"activation {found.activation:.2f}, {found.z:.0f} σ above noise"
        if language == "en"
        else f"активация {found.activation:.2f}, {found.z:.0f} σ над шумом"
    )
    if found.key == "":
        if language == "en":
            return f"{found.label} stands out {strength} ({evidence})"
        return f"{strength} проступает {found.label} ({evidence})"
    if found.key.startswith("#seq:"):
        position = int(found.key.split(":")[2]) + 1
        if language == "en":
            return f"{found.label} comes in place {position} of a sequence ({evidence})"
        return f"{found.label} стоит на {position}-м месте последовательности ({evidence})"
    if language == "en":
        return f"its {found.key} is {found.label}, read {strength} ({evidence})"
    return f"его {found.key} — {found.label}, читается {strength} ({evidence})"


def render_story(unfolding: Unfolding, language: str | None = None) -> str:
    """Return prose that walks the unfolded field register by register.

    Each sentence says what was found, in which register and role, and how strongly
    it stands above the noise floor; sub-scenes are told in turn, and a closing
    sentence says whether the reading is exact and why not.
    """
    if language is None:
        language = detect_language(to_formula(unfolding.scene))
    name = unfolding.name
    by_register: dict[str, list[Found]] = {}
    for found in unfolding.anchors():
        if found.register != PARTS_REGISTER:
            by_register.setdefault(found.register, []).append(found)
    if language == "ru":
        opening = f"«{name}» разворачивается в {len(unfolding.found)} элементов"
    else:
        opening = f"“{name}” unfolds into {len(unfolding.found)} items"
    registers = sorted(by_register, key=lambda r: (r != "main", r))
    sentences = [opening + (":" if registers else ".")]
    for register in registers:
        items = by_register[register]
        parts = "; ".join(_item_sentence(f, language) for f in items)
        phrase = _register_phrase(register, language)
        sentences.append(f"{phrase[0].upper()}{phrase[1:]}, {parts}.")
    for child_name, child in unfolding.children.items():
        if language == "ru":
            sentences.append(f"Внутри лежит сцена «{child_name}».")
        else:
            sentences.append(f"Inside it lies the scene “{child_name}”.")
        sentences.append(render_story(child, language))
    if unfolding.exact:
        sentences.append(
            "Re-folding this reading reproduces the symbol bit for bit."
            if language == "en"
            else "Если свернуть это прочтение обратно, получится тот же символ, бит в бит."
        )
    else:
        reasons = "; ".join(unfolding.reasons) or "unknown"
        sentences.append(
            f"The reading is not exact: {reasons}."
            if language == "en"
            else f"Прочтение неточно: {reasons}."
        )
    return " ".join(sentences)


def render(unfolding: Unfolding, level: str, language: str | None = None) -> str:
    """Return the unfolding at ``level``, one of :data:`LEVELS`."""
    if level == "glyph":
        return render_glyph(unfolding)
    if level == "symbol":
        return render_symbol(unfolding)
    if level == "formula":
        return render_formula(unfolding)
    if level == "outline":
        return render_outline(unfolding)
    if level == "story":
        return render_story(unfolding, language)
    raise InvalidArgumentError(
        f"unknown level {level!r}; choose one of {', '.join(LEVELS)}"
    )
