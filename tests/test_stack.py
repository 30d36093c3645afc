"""Tests of ``StackManager``: the five levels, the moves between them, the
meta-instructions in English and Russian and the language of the story.
"""

import pytest
from scenefold import Atom, Scene
from scenefold.compressor import SceneCompressor
from scenefold.errors import InvalidArgumentError, UnknownSymbolError
from scenefold.expander import SceneExpander
from scenefold.render import GLYPHS, LEVELS, PALETTE
from scenefold.stack import DENSER, EXPAND, StackManager, Transition

TEXT = """\
потеря = страх + рассыпание + тьма + «тихое влечение»
⟁ = боль * движение
storm = emotion: (fear + awe) + logic: (cause * wind + isa * weather) + archetype: destroyer
tale = seq(calm, thunder, rain)
night = storm + tale
"""

DENSER_INSTRUCTIONS = [
    "denser",
    "Denser!",
    "  DENSER  ",
    "denser.",
    "shorter",
    "плотнее",
    "«плотнее»",
    "Плотнее!",
    "ПЛОТНЕЕ...",
    "короче",
    "Короче.",
    "«Короче!»",
]

EXPAND_INSTRUCTIONS = [
    "expand further",
    "Expand further.",
    "EXPAND   FURTHER!",
    '"expand further"',
    "разверни сильнее",
    "Разверни сильнее!",
    "«разверни   сильнее»",
    "подробнее",
    "Подробнее...",
    "«ПОДРОБНЕЕ»",
]


@pytest.fixture(scope="module")
def expander():
    compressor = SceneCompressor()
    compressor.fold_formula(TEXT)
    return SceneExpander(vocabulary=compressor.vocabulary)


# --- levels -----------------------------------------------------------------------


def test_levels_order(expander):
    assert list(StackManager(expander, "storm").levels()) == list(LEVELS)


def test_levels_names():
    assert LEVELS == ("glyph", "symbol", "formula", "outline", "story")


@pytest.mark.parametrize("name", ["потеря", "⟁", "storm", "tale", "night"])
def test_levels_not_empty(expander, name):
    for level, text in StackManager(expander, name).levels().items():
        assert text.strip(), (name, level)


def test_levels_grow_in_length(expander):
    levels = StackManager(expander, "storm").levels()
    lengths = [len(levels[level]) for level in LEVELS]
    assert lengths == sorted(lengths)


def test_level_default_symbol(expander):
    stack = StackManager(expander, "storm")
    assert stack.level == "symbol"
    assert stack.render() == "storm"


def test_level_start_given(expander):
    stack = StackManager(expander, "storm", level="outline")
    assert stack.render() == stack.render("outline")


def test_level_unknown_raises(expander):
    with pytest.raises(InvalidArgumentError, match="'poem'") as error:
        StackManager(expander, "storm", level="poem")
    assert "glyph, symbol, formula, outline, story" in str(error.value)


def test_render_unknown_level_raises(expander):
    with pytest.raises(InvalidArgumentError, match="'poem'"):
        StackManager(expander, "storm").render("poem")


def test_formula_level_canonical(expander):
    stack = StackManager(expander, "tale")
    assert stack.render("formula") == "tale = seq(calm, thunder, rain)"


def test_outline_reports_exact(expander):
    outline = StackManager(expander, "storm").render("outline")
    assert outline.splitlines()[0] == "storm  (exact, 5 items)"


def test_glyph_of_emotion(expander):
    glyph = StackManager(expander, "storm").render("glyph")
    assert glyph in {GLYPHS["fear"], GLYPHS["awe"]}


def test_glyph_of_cyrillic_emotion(expander):
    assert StackManager(expander, "потеря").render("glyph") in {
        GLYPHS["страх"],
        GLYPHS["тьма"],
    }


def test_glyph_from_palette(expander):
    assert StackManager(expander, "tale").render("glyph") in PALETTE


def test_glyph_name_itself(expander):
    assert StackManager(expander, "⟁").render("glyph") == "⟁"


def test_symbol_object_accepted(expander):
    symbol = expander.vocabulary.symbol("storm")
    assert StackManager(expander, symbol).render("symbol") == "storm"


def test_unknown_symbol_raises(expander):
    with pytest.raises(UnknownSymbolError, match="'nowhere'"):
        StackManager(expander, "nowhere")


def test_unfolding_computed_once(expander):
    stack = StackManager(expander, "storm")
    assert stack.unfolding is stack.unfolding


def test_split_scene_levels():
    compressor = SceneCompressor()
    scene = Scene.of("big", [Atom(f"a{i}") for i in range(150)])
    compressor.fold(scene)
    stack = StackManager(SceneExpander(vocabulary=compressor.vocabulary), "big")
    outline = stack.render("outline")
    item_lines = [line for line in outline.splitlines() if "activation" in line]
    assert len(item_lines) == 150
    assert "#parts" not in outline
    assert "a149" in stack.render("story")


# --- moves ------------------------------------------------------------------------


def test_denser_steps_to_glyph(expander):
    stack = StackManager(expander, "storm", level="story")
    visited = [stack.level]
    for _ in range(4):
        stack.denser()
        visited.append(stack.level)
    assert visited == list(reversed(LEVELS))


def test_expand_steps_to_story(expander):
    stack = StackManager(expander, "storm", level="glyph")
    visited = [stack.level]
    for _ in range(4):
        stack.expand()
        visited.append(stack.level)
    assert visited == list(LEVELS)


def test_denser_returns_rendering(expander):
    stack = StackManager(expander, "storm", level="formula")
    assert stack.denser() == "storm"


def test_expand_returns_rendering(expander):
    stack = StackManager(expander, "storm", level="outline")
    assert stack.expand() == stack.render("story")


def test_denser_clamps_at_glyph(expander):
    stack = StackManager(expander, "storm", level="glyph")
    glyph = stack.render()
    assert stack.denser() == glyph
    assert stack.level == "glyph"


def test_expand_clamps_at_story(expander):
    stack = StackManager(expander, "storm", level="story")
    story = stack.render()
    assert stack.expand() == story
    assert stack.level == "story"


def test_goto_level(expander):
    stack = StackManager(expander, "storm")
    assert stack.goto("formula") == stack.render("formula")
    assert stack.level == "formula"


# --- meta-instructions ------------------------------------------------------------


def test_instruction_sets_contain_documented():
    for instruction in ("denser", "shorter", "плотнее", "короче"):
        assert instruction in DENSER, instruction
    for instruction in ("expand further", "разверни сильнее", "подробнее"):
        assert instruction in EXPAND, instruction


@pytest.mark.parametrize("instruction", DENSER_INSTRUCTIONS)
def test_apply_denser(expander, instruction):
    stack = StackManager(expander, "storm", level="formula")
    assert stack.apply(instruction) == "storm"
    assert stack.level == "symbol"


@pytest.mark.parametrize("instruction", EXPAND_INSTRUCTIONS)
def test_apply_expand(expander, instruction):
    stack = StackManager(expander, "storm", level="formula")
    stack.apply(instruction)
    assert stack.level == "outline"


@pytest.mark.parametrize("instruction", ["story", "Glyph!", " FORMULA "])
def test_apply_level_name(expander, instruction):
    stack = StackManager(expander, "storm")
    stack.apply(instruction)
    assert stack.level == instruction.strip(" !").lower()


def test_apply_denser_clamps(expander):
    stack = StackManager(expander, "storm", level="glyph")
    stack.apply("«плотнее»")
    assert stack.level == "glyph"


def test_apply_expand_clamps(expander):
    stack = StackManager(expander, "storm", level="story")
    stack.apply("Подробнее!")
    assert stack.level == "story"


@pytest.mark.parametrize("instruction", ["", "louder", "плотнее плотнее", "denserr"])
def test_apply_unknown_raises(expander, instruction):
    stack = StackManager(expander, "storm")
    with pytest.raises(InvalidArgumentError, match="unknown instruction") as error:
        stack.apply(instruction)
    message = str(error.value)
    for accepted in ("denser", "плотнее", "expand further", "подробнее", "story"):
        assert accepted in message, accepted


def test_apply_unknown_keeps_level(expander):
    stack = StackManager(expander, "storm", level="outline")
    with pytest.raises(InvalidArgumentError):
        stack.apply("louder")
    assert stack.level == "outline"
    assert stack.history == []


# --- history ----------------------------------------------------------------------


def test_history_starts_empty(expander):
    assert StackManager(expander, "storm").history == []


def test_history_records_moves(expander):
    stack = StackManager(expander, "storm")
    stack.apply("Плотнее!")
    stack.apply("expand further")
    stack.expand()
    stack.goto("story", "jump")
    assert stack.history == [
        Transition("symbol", "glyph", "Плотнее!"),
        Transition("glyph", "symbol", "expand further"),
        Transition("symbol", "formula", "expand further"),
        Transition("formula", "story", "jump"),
    ]


def test_history_records_clamped_move(expander):
    stack = StackManager(expander, "storm", level="glyph")
    stack.denser()
    assert stack.history == [Transition("glyph", "glyph", "denser")]


# --- language ---------------------------------------------------------------------


def test_story_russian_for_cyrillic(expander):
    story = StackManager(expander, "потеря").render("story")
    assert story.startswith("«потеря» разворачивается в 4 элементов")
    assert "бит в бит" in story


def test_story_russian_for_glyph_scene(expander):
    story = StackManager(expander, "⟁").render("story")
    assert "разворачивается" in story
    assert "боль" in story


def test_story_english_for_latin(expander):
    story = StackManager(expander, "storm").render("story")
    assert story.startswith("“storm” unfolds into 5 items")
    assert "bit for bit" in story


def test_story_language_override(expander):
    story = StackManager(expander, "потеря", language="en").render("story")
    assert "unfolds into" in story
    assert "разворачивается" not in story


def test_story_language_invalid_raises(expander):
    with pytest.raises(InvalidArgumentError, match="'de'"):
        StackManager(expander, "storm", language="de")


def test_story_tells_registers(expander):
    story = StackManager(expander, "storm").render("story")
    for phrase in ("emotional layer", "logic", "archetype"):
        assert phrase in story, phrase


def test_story_tells_children(expander):
    story = StackManager(expander, "night").render("story")
    assert "Inside it lies the scene “storm”" in story
    assert "Inside it lies the scene “tale”" in story
