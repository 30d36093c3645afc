"""Tests of the formula language: parser, canonical printer and reference graph."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenefold.errors import (
    CyclicDefinitionError,
    DuplicateDefinitionError,
    FormulaError,
    FormulaSyntaxError,
    InvalidNameError,
    UnknownSymbolError,
)
from scenefold.formula import (
    depth,
    parse,
    parse_scene,
    to_document,
    to_formula,
    topological_order,
)
from scenefold.scene import DEFAULT_REGISTER, Atom, Bind, Ref, Scene, Seq
from strategies import labels, scene_documents, scenes

ACCEPTANCE_DOCUMENT = """\
потеря = страх + рассыпание + тьма + «тихое влечение»
⟁ = боль * движение
storm = emotion: (fear + awe) + logic: (cause * wind + isa * weather) + archetype: destroyer
tale = seq(calm, thunder, rain)
night = storm + tale          # named scenes become sub-scenes
"""

STATEMENT_END = "'+', ';', a line break or the end of input"
ITEM_START = "a label, '@name', 'seq(…)' or '('"


def atoms(*labels: str) -> set[Atom]:
    return {Atom(label) for label in labels}


# --- acceptance examples ----------------------------------------------------------


def test_acceptance_document_scenes() -> None:
    scenes = parse(ACCEPTANCE_DOCUMENT)

    assert list(scenes) == ["потеря", "⟁", "storm", "tale", "night"]
    assert scenes["потеря"] == Scene.of(
        "потеря", atoms("страх", "рассыпание", "тьма", "тихое влечение")
    )
    assert scenes["⟁"] == Scene.of("⟁", [Bind("боль", Atom("движение"))])
    assert scenes["storm"] == Scene.of(
        "storm",
        emotion=atoms("fear", "awe"),
        logic={Bind("cause", Atom("wind")), Bind("isa", Atom("weather"))},
        archetype=atoms("destroyer"),
    )
    assert scenes["tale"] == Scene.of(
        "tale", [Seq((Atom("calm"), Atom("thunder"), Atom("rain")))]
    )
    assert scenes["night"] == Scene.of("night", [Ref("storm"), Ref("tale")])


def test_acceptance_lines_parse_alone() -> None:
    lines = ACCEPTANCE_DOCUMENT.splitlines()
    for line in lines[:4]:
        assert len(parse(line)) == 1

    night = parse_scene(lines[4], known=["storm", "tale"])
    assert night == Scene.of("night", [Ref("storm"), Ref("tale")])


def test_night_without_known_has_atoms() -> None:
    night = parse_scene("night = storm + tale")

    assert night == Scene.of("night", atoms("storm", "tale"))


def test_acceptance_canonical_formulas() -> None:
    scenes = parse(ACCEPTANCE_DOCUMENT)

    assert to_formula(scenes["tale"]) == "tale = seq(calm, thunder, rain)"
    assert to_formula(scenes["night"]) == "night = @storm + @tale"
    assert to_formula(scenes["⟁"]) == "⟁ = боль * движение"
    assert to_formula(scenes["storm"]) == (
        "storm = archetype: destroyer + emotion: (awe + fear) + "
        "logic: (cause * wind + isa * weather)"
    )
    assert '"тихое влечение"' in to_formula(scenes["потеря"])


def test_acceptance_document_round_trip() -> None:
    scenes = parse(ACCEPTANCE_DOCUMENT)
    text = to_document(scenes.values())

    assert text.count("\n") == 5
    assert parse(text) == scenes
    assert to_document(parse(text).values()) == text


# --- round-trip properties --------------------------------------------------------


@given(scenes())
def test_formula_round_trip(scene: Scene) -> None:
    text = to_formula(scene)

    assert parse(text, known=scene.refs()) == {scene.name: scene}


@given(scenes())
def test_formula_is_fixed_point(scene: Scene) -> None:
    text = to_formula(scene)

    assert "\n" not in text
    assert to_formula(parse_scene(text, known=scene.refs())) == text


@given(scene_documents())
def test_document_round_trip(document: list[Scene]) -> None:
    text = to_document(document)
    parsed = parse(text)

    assert parsed == {scene.name: scene for scene in document}
    assert list(parsed) == [scene.name for scene in document]
    assert to_document(parsed.values()) == text


@given(scene_documents())
def test_reference_graph_of_documents(document: list[Scene]) -> None:
    mapping = {scene.name: scene for scene in document}
    order = topological_order(mapping)

    assert sorted(order) == sorted(mapping)
    position = {name: index for index, name in enumerate(order)}
    for scene in document:
        for ref in scene.refs():
            assert position[ref] < position[scene.name]

    for scene in document:
        below = [depth(ref, mapping) for ref in scene.refs()]
        assert depth(scene.name, mapping) == 1 + max(below, default=0)


@given(labels())
def test_label_round_trip_as_atom(label: str) -> None:
    scene = Scene.of("s" if label != "s" else "t", [Atom(label)])

    assert parse_scene(to_formula(scene)) == scene


# --- meaning of the syntax ----------------------------------------------------------


def test_pair_is_directed() -> None:
    forward = parse_scene("a = cause * wind")
    backward = parse_scene("a = wind * cause")

    assert forward != backward
    assert forward.items() == [Bind("cause", Atom("wind"))]
    assert backward.items() == [Bind("wind", Atom("cause"))]


def test_sequence_order_matters() -> None:
    forward = parse_scene("a = seq(x, y, z)")
    backward = parse_scene("a = seq(z, y, x)")

    assert forward != backward
    assert forward.items() == [Seq((Atom("x"), Atom("y"), Atom("z")))]


def test_sequence_may_repeat_items() -> None:
    scene = parse_scene("a = seq(x, x)")

    assert scene.items() == [Seq((Atom("x"), Atom("x")))]


def test_item_order_does_not_matter() -> None:
    assert parse_scene("a = x + y + z") == parse_scene("a = z + x + y")


def test_nfc_equivalence() -> None:
    composed = parse_scene("caf\u00e9 = \u00e9t\u00e9 + r: x")
    decomposed = parse_scene("cafe\u0301 = e\u0301te\u0301 + r: x")

    assert composed == decomposed
    assert composed.name == "caf\u00e9"
    assert composed.items() == [Atom("\u00e9t\u00e9"), Atom("x")]


def test_nfc_known_names_resolve() -> None:
    scene = parse_scene("a = caf\u00e9", known=["cafe\u0301"])

    assert scene.items() == [Ref("caf\u00e9")]


def test_comments_and_semicolons() -> None:
    text = "# a whole-line comment\na = x; b = y   # a trailing comment\n;;\n\nc = z;\n"
    scenes = parse(text)

    assert list(scenes) == ["a", "b", "c"]
    assert scenes["b"] == Scene.of("b", atoms("y"))


def test_crlf_line_breaks() -> None:
    scenes = parse("a = x\r\nb = y\r\n")

    assert list(scenes) == ["a", "b"]


def test_line_breaks_inside_parentheses() -> None:
    scene = parse_scene("a = emotion: (\n  fear +  # first\n  awe\n) + seq(\n x,\n y)")

    assert scene == Scene.of(
        "a", [Seq((Atom("x"), Atom("y")))], emotion=atoms("fear", "awe")
    )


def test_register_prefix_applies_to_group() -> None:
    scene = parse_scene("a = emotion: (fear + awe)")

    assert scene == Scene.of("a", emotion=atoms("fear", "awe"))


def test_register_prefix_binds_tighter_than_plus() -> None:
    scene = parse_scene("a = emotion: fear + awe")

    assert scene == Scene.of("a", atoms("awe"), emotion=atoms("fear"))


def test_register_prefix_on_pair_and_sequence() -> None:
    scene = parse_scene("a = logic: cause * wind + plot: seq(x, y)")

    assert scene.items("logic") == [Bind("cause", Atom("wind"))]
    assert scene.items("plot") == [Seq((Atom("x"), Atom("y")))]


def test_explicit_default_register() -> None:
    assert parse_scene("a = main: x + y") == parse_scene("a = x + y")
    assert DEFAULT_REGISTER == "main"


def test_nested_parentheses_group() -> None:
    scene = parse_scene("a = (x + (y + (z))) + e: (p + (q))")

    assert scene == Scene.of("a", atoms("x", "y", "z"), e=atoms("p", "q"))


def test_register_prefix_inside_plain_group() -> None:
    scene = parse_scene("a = (e: x + y)")

    assert scene == Scene.of("a", atoms("y"), e=atoms("x"))


def test_unicode_register_name() -> None:
    scene = parse_scene("a = эмоция: страх + r-2_b: x")

    assert set(scene.registers) == {"эмоция", "r-2_b"}


def test_names_resolve_forward_and_backward() -> None:
    scenes = parse("a = b + x\nb = y\nc = b * @a")

    assert scenes["a"].items() == [Atom("x"), Ref("b")]
    assert scenes["c"].items() == [Bind("b", Ref("a"))]


def test_role_is_always_plain_label() -> None:
    scenes = parse("a = b * x\nb = y")

    assert scenes["a"].items() == [Bind("b", Atom("x"))]


def test_quoted_name_resolves_to_reference() -> None:
    scenes = parse('"my scene" = x\nb = «my scene» + "my scene" * y + r * @"my scene"')

    assert scenes["b"].items() == [
        Ref("my scene"),
        Bind("my scene", Atom("y")),
        Bind("r", Ref("my scene")),
    ]


def test_explicit_reference_to_known_scene() -> None:
    scene = parse_scene("a = @vocab_scene + x", known={"vocab_scene"})

    assert scene.items() == [Atom("x"), Ref("vocab_scene")]


def test_seq_keyword_and_seq_label() -> None:
    scene = parse_scene('a = "seq" + seq * x + r: seq + seq(seq)')

    assert scene.items("main") == [
        Atom("seq"),
        Bind("seq", Atom("x")),
        Seq((Atom("seq"),)),
    ]
    assert scene.items("r") == [Atom("seq")]


def test_bare_label_characters() -> None:
    scene = parse_scene("a = loss.n.01 + red_ink + it's + -1.5 + ⟁ + 🔥 + 👩‍🔬 + x\\y")

    expected = atoms("loss.n.01", "red_ink", "it's", "-1.5", "⟁", "🔥", "👩‍🔬", "x\\y")
    assert set(scene.items()) == expected


def test_quoted_labels_and_escapes() -> None:
    scene = parse_scene('a = "say \\"hi\\"" + "back\\\\slash" + «a "b" \\ c» + "x=y"')

    assert set(scene.items()) == atoms('say "hi"', "back\\slash", 'a "b" \\ c', "x=y")


def test_empty_scene() -> None:
    scene = parse_scene("a = ()")

    assert scene == Scene("a")
    assert to_formula(scene) == "a = ()"
    assert parse("a = () ; b = ()  # two empty scenes") == {
        "a": Scene("a"),
        "b": Scene("b"),
    }


def test_empty_document() -> None:
    assert parse("") == {}
    assert parse("# only a comment\n\n;") == {}
    assert to_document([]) == ""


# --- canonical printing -------------------------------------------------------------


def test_canonical_register_order() -> None:
    scene = Scene.of("s", atoms("b", "a"), zeta=atoms("z"), alpha=atoms("y", "x"))

    assert to_formula(scene) == "s = a + b + alpha: (x + y) + zeta: z"


def test_canonical_without_default_register() -> None:
    scene = Scene.of("s", logic=[Bind("cause", Atom("wind"))])

    assert to_formula(scene) == "s = logic: cause * wind"


def test_canonical_item_kinds_order() -> None:
    scene = Scene.of(
        "s", [Seq((Atom("q"),)), Bind("r", Atom("f")), Ref("other"), Atom("z")]
    )

    assert to_formula(scene) == "s = z + @other + r * f + seq(q)"


@pytest.mark.parametrize(
    ("label", "printed"),
    [
        ("plain", "plain"),
        ("loss.n.01", "loss.n.01"),
        ("⟁", "⟁"),
        ("Seq", "Seq"),
        ("seq", '"seq"'),
        ("a b", '"a b"'),
        ("non\u00a0breaking", '"non\u00a0breaking"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", "back\\slash"),
        ("back\\slash here", '"back\\\\slash here"'),
        ("«x»", '"«x»"'),
        ("#tag", '"#tag"'),
        ("@home", '"@home"'),
        ("a:b", '"a:b"'),
    ],
)
def test_label_quoting(label: str, printed: str) -> None:
    scene = Scene.of("s", [Atom(label)])

    assert to_formula(scene) == f"s = {printed}"
    assert parse_scene(to_formula(scene)) == scene


def test_reference_always_has_at() -> None:
    scene = Scene.of(
        "s", [Ref("my scene"), Bind("r", Ref("t"))], plot=[Seq((Ref("t"),))]
    )

    assert to_formula(scene) == 's = @"my scene" + r * @t + plot: seq(@t)'


def test_scene_methods() -> None:
    scene = Scene.from_formula("s = x + @t", known=["t"])

    assert scene == Scene.of("s", [Atom("x"), Ref("t")])
    assert scene.to_formula() == "s = x + @t"


# --- syntax errors ------------------------------------------------------------------

SYNTAX_ERRORS = [
    # (text, line, column, found, expected, words in the message)
    ("a = b * c * d", 1, 11, "*", STATEMENT_END, "inner = c * d"),
    ("a = (b + c) * d", 1, 13, "*", STATEMENT_END, "not a group"),
    ("a = seq(b) * d", 1, 12, "*", STATEMENT_END, "not a sequence"),
    ("a = @b * d\nb = x", 1, 8, "*", STATEMENT_END, "Remove the '@'"),
    ("a = x * (y)", 1, 9, "(", "a label or '@name'", "named scene"),
    ("a = x * seq(y)", 1, 9, "seq", "a label or '@name'", "named scene"),
    ("x = y\nz = w +", 2, 8, "end of input", ITEM_START, "expected"),
    ("a b = c", 1, 3, "b", "'=' after the scene name a", '"a b"'),
    ("a = b c", 1, 7, "c", STATEMENT_END, '"b c"'),
    ("a = x)", 1, 6, ")", STATEMENT_END, "no matching '('"),
    ("a = x b = y", 1, 7, "b", STATEMENT_END, "quoted"),
    ("a = x = y", 1, 7, "=", STATEMENT_END, "';'"),
    ("a = (x +\n y\nb = c", 3, 1, "b", "'+' or ')'", "line 1, column 5 is not closed"),
    ("a = (x + y", 1, 11, "end of input", "'+' or ')'", "not closed"),
    ("a = e: (f: x)", 1, 9, "f", ITEM_START, "do not nest"),
    ("a = e: f: x", 1, 8, "f", ITEM_START, "do not nest"),
    ("a = x + ()", 1, 10, ")", ITEM_START, "name = ()"),
    ("a = seq()", 1, 9, ")", "a label or '@name'", "at least one item"),
    ("a = seq(x,)", 1, 11, ")", "a label or '@name' as a sequence item", "expected"),
    ("a = seq(x y)", 1, 11, "y", "',' or ')'", "expected"),
    ("a = seq(x, y * z)", 1, 14, "*", "',' or ')'", "single name"),
    ("a = @", 1, 6, "end of input", "a scene name after '@'", "expected"),
    ("a =", 1, 4, "end of input", ITEM_START, "a = ()"),
    ("a = ; b = x", 1, 5, ";", ITEM_START, "a = ()"),
    ("= x", 1, 1, "=", "a scene name at the start of a definition", "expected"),
    (
        "a = x\n  + y",
        2,
        3,
        "+",
        "a scene name at the start of a definition",
        "expected",
    ),
    ('a = "x\\n"', 1, 7, "\\n", '\\" or \\\\', "unknown escape"),
    ('a = "x', 1, 5, '"x', "a closing '\"'", "not closed"),
    ('a = "x\ny"', 1, 5, '"x', "a closing '\"'", "cannot span lines"),
    ("a = «x", 1, 5, "«x", "a closing '»'", "not closed"),
    ("a = x»", 1, 6, "»", ITEM_START, "without an opening '«'"),
    (
        "a = x + x",
        1,
        9,
        "x",
        "an item not yet in register 'main'",
        "A register is a set",
    ),
    (
        "a = e: (p * q) + e: p * q",
        1,
        21,
        "p * q",
        "an item not yet in register 'e'",
        "first at line 1, column 9",
    ),
    ("a = x + main: x", 1, 15, "x", "an item not yet in register 'main'", "set"),
    ("a = b + @b\nb = y", 1, 9, "@b", "an item not yet in register 'main'", "set"),
    ("a = seq(x, y) + seq(x, y)", 1, 17, "seq(x, y)", "an item not yet", "set"),
    ("a = é + e\u0301", 1, 9, "e\u0301", "an item not yet in register", "set"),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "found", "expected", "words"), SYNTAX_ERRORS
)
def test_syntax_error_position(
    text: str, line: int, column: int, found: str, expected: str, words: str
) -> None:
    with pytest.raises(FormulaSyntaxError) as caught:
        parse(text)

    error = caught.value
    assert error.line == line
    assert error.column == column
    assert error.found == found
    assert error.expected.startswith(expected)
    assert words in str(error)
    assert str(error).startswith(f"line {line}, column {column}: ")


def test_syntax_error_column_counts_code_points() -> None:
    with pytest.raises(FormulaSyntaxError) as caught:
        parse("🔥\t= ⟁ ⟁")

    assert caught.value.column == 7
    assert caught.value.found == "⟁"


# --- name, reference and definition errors --------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("seq = a", "sequence keyword"),
        ('"seq" = a', "sequence keyword"),
        ('"#x" = a', "starts with '#'"),
        ('a = ""', "empty"),
        ('"" = a', "empty"),
        ("a = «»", "empty"),
        ("a = x\x00y", "U+0000"),
        ('a = "tab\there"', "U+0009"),
        ('a = "x\u2028y"', "U+2028"),
        ('a = "r": x', "quoted"),
        ("a = r.x: y", "'r.x'"),
        ("a = ⟁: y", "letters, digits"),
    ],
)
def test_invalid_name(text: str, words: str) -> None:
    with pytest.raises(InvalidNameError, match=re.escape(words)) as caught:
        parse(text)

    assert "line 1, column" in str(caught.value)


def test_invalid_known_reference_name() -> None:
    with pytest.raises(InvalidNameError, match="sequence keyword"):
        parse("a = @seq", known=["seq"])


def test_unknown_symbol() -> None:
    with pytest.raises(UnknownSymbolError) as caught:
        parse("a = x\nb = y + @zz")

    message = str(caught.value)
    assert message.startswith("line 2, column 9: ")
    assert "@zz" in message
    assert "known" in message


def test_unknown_symbol_resolved_by_known() -> None:
    scene = parse_scene("b = y + @zz", known=("zz",))

    assert scene.items() == [Atom("y"), Ref("zz")]


def test_duplicate_definition() -> None:
    with pytest.raises(DuplicateDefinitionError) as caught:
        parse("a = x\nb = y\n\na = z")

    message = str(caught.value)
    assert "line 1" in message
    assert "line 4" in message


def test_duplicate_definition_after_nfc() -> None:
    with pytest.raises(DuplicateDefinitionError):
        parse("caf\u00e9 = x; cafe\u0301 = y")


def test_self_reference_is_cycle() -> None:
    with pytest.raises(CyclicDefinitionError) as caught:
        parse("a = x + a")

    assert "a (line 1) → a (line 1)" in str(caught.value)
    assert caught.value.cycle == ("a", "a")


def test_cycle_through_three_scenes() -> None:
    with pytest.raises(CyclicDefinitionError) as caught:
        parse("a = b\nb = seq(x, c)\nc = r * @a\nd = a")

    message = str(caught.value)
    assert "a (line 1) → b (line 2) → c (line 3) → a (line 1)" in message
    assert "remove one of these references" in message
    assert caught.value.cycle == ("a", "b", "c", "a")


def test_parse_scene_needs_one_definition() -> None:
    with pytest.raises(FormulaSyntaxError) as empty:
        parse_scene("# nothing\n")
    with pytest.raises(FormulaSyntaxError) as two:
        parse_scene("a = x\nb = y")

    assert empty.value.found == "end of input"
    assert empty.value.line == 2
    assert two.value.line == 2
    assert two.value.column == 1
    assert "parse()" in str(two.value)


def test_wrong_argument_types() -> None:
    with pytest.raises(TypeError):
        parse(b"a = x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="known"):
        parse("a = x", known="x")


def test_formula_errors_are_value_errors() -> None:
    for error_class in (
        FormulaSyntaxError,
        UnknownSymbolError,
        InvalidNameError,
        DuplicateDefinitionError,
        CyclicDefinitionError,
    ):
        assert issubclass(error_class, FormulaError)
        assert issubclass(error_class, ValueError)


# --- printer errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "scene",
    [
        Scene.of("seq", atoms("x")),
        Scene.of("#s", atoms("x")),
        Scene.of("", atoms("x")),
        Scene.of("s", atoms("")),
        Scene.of("s", atoms("line\nbreak")),
        Scene.of("s", [Bind("", Atom("x"))]),
        Scene.of("s", [Ref("seq")]),
        Scene("s", {"bad register": atoms("x")}),
        Scene("s", {"": atoms("x")}),
        Scene.of("s", atoms("s")),
        Scene.of("s", [Bind("r", Atom("s"))]),
        Scene.of("s", [Atom("t"), Bind("r", Ref("t"))]),
    ],
)
def test_to_formula_rejects_unwritable_scene(scene: Scene) -> None:
    with pytest.raises(InvalidNameError):
        to_formula(scene)


def test_to_formula_rejects_self_reference() -> None:
    with pytest.raises(CyclicDefinitionError):
        to_formula(Scene.of("s", [Seq((Atom("x"), Ref("s")))]))


def test_to_document_rejects_duplicate_names() -> None:
    with pytest.raises(DuplicateDefinitionError):
        to_document([Scene.of("a", atoms("x")), Scene.of("a", atoms("y"))])


def test_to_document_rejects_atom_named_like_scene() -> None:
    with pytest.raises(InvalidNameError, match="read back as a reference"):
        to_document([Scene.of("a", atoms("b")), Scene.of("b", atoms("y"))])


def test_to_document_rejects_cycle() -> None:
    with pytest.raises(CyclicDefinitionError):
        to_document([Scene.of("a", [Ref("b")]), Scene.of("b", [Ref("a")])])


# --- reference graph ----------------------------------------------------------------


def test_topological_order_and_depth() -> None:
    scenes = parse(ACCEPTANCE_DOCUMENT + "epic = r * night + seq(@tale, storm)")

    order = topological_order(scenes)
    assert order.index("storm") < order.index("night")
    assert order.index("tale") < order.index("night")
    assert order.index("night") < order.index("epic")
    assert depth("storm", scenes) == 1
    assert depth("night", scenes) == 2
    assert depth("epic", scenes) == 3


def test_topological_order_keeps_independent_order() -> None:
    scenes = parse("c = x; a = y; b = z")

    assert topological_order(scenes) == ["c", "a", "b"]


def test_topological_order_ignores_outside_names() -> None:
    scenes = parse("a = @ext + @b; b = x", known=["ext"])

    assert topological_order(scenes) == ["b", "a"]


def test_topological_order_raises_on_cycle() -> None:
    mapping = {"a": Scene.of("a", [Ref("b")]), "b": Scene.of("b", [Ref("a")])}

    with pytest.raises(CyclicDefinitionError) as caught:
        topological_order(mapping)
    assert caught.value.cycle == ("a", "b", "a")


def test_depth_of_missing_scene() -> None:
    scenes = parse("a = @ext", known=["ext"])

    with pytest.raises(UnknownSymbolError, match="ext"):
        depth("a", scenes)
    with pytest.raises(UnknownSymbolError, match="nope"):
        depth("nope", scenes)


def test_depth_of_long_chain() -> None:
    count = 3000
    lines = [f"s{index} = @s{index + 1}" for index in range(count)] + [f"s{count} = x"]
    scenes = parse("\n".join(lines))

    assert depth("s0", scenes) == count + 1
    assert topological_order(scenes)[0] == f"s{count}"


def test_depth_ignores_unreachable_cycle() -> None:
    mapping = {
        "a": Scene.of("a", atoms("x")),
        "b": Scene.of("b", [Ref("c")]),
        "c": Scene.of("c", [Ref("b")]),
    }

    assert depth("a", mapping) == 1


@given(st.data())
def test_strategies_scene_refs(data: st.DataObject) -> None:
    scene = data.draw(scenes(refs=["r1", "r2"], name="n", exclude=["r3"]))

    assert scene.name == "n"
    assert scene.refs() <= {"r1", "r2"}
    labels_used = {item.label for item in scene.items() if isinstance(item, Atom)}
    assert not labels_used & {"n", "r1", "r2", "r3"}
