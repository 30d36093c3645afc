r"""The formula language: the lossless text form of scenes.

A document is a list of definitions ``name = expression``, separated by line breaks or
``;``. ``#`` starts a comment that runs to the end of the line. The grammar::

    statement     := NAME '=' expr | NAME '=' '(' ')'
    expr          := term ('+' term)*
    term          := REGISTER ':' group_or_item | group_or_item
    group_or_item := '(' expr ')' | item
    item          := NAME '*' filler | 'seq' '(' filler (',' filler)* ')' | filler
    filler        := NAME | '@' NAME

A NAME is a bare label, a ``"quoted label"`` with the escapes ``\"`` and ``\\``, or a
``«quoted label»`` without escapes. A bare label is a run of characters other than
whitespace and the reserved characters ``= + * : ( ) , ; # @ " « »``. ``seq`` followed
by ``(`` is the sequence keyword. Inside parentheses, line breaks are whitespace, so a
long scene may span several lines. ``name = ()`` defines a scene with no items.

Items written without a register prefix go to :data:`DEFAULT_REGISTER`. A filler
resolves to :class:`Ref` when a scene of that name is defined in the same document or
is in the ``known`` names passed by the caller, and to :class:`Atom` otherwise.
``@name`` is a reference that must resolve. With ``bare_known=False`` the known names
resolve only through ``@``, so canonical text (which always writes references with
``@``) reads back the same whatever a vocabulary holds. A role, the left side of
``*``, is always a plain label.

NOTE: an atom whose label is also the name of a scene in the same document cannot be
written, because the grammar has no syntax that forces an atom. The printer raises
:class:`InvalidNameError` for the collisions it can see.

:func:`to_formula` prints the canonical form, one line ``name = …``:

- the default register's items come first without a prefix, then the other registers
  in sorted order, as ``reg: item`` for one item and ``reg: (a + b)`` for several;
- the items of a register are in the order of :meth:`Scene.items`;
- references are always printed ``@name``;
- a label is printed in double quotes, with ``"`` and ``\`` escaped, only if it
  contains whitespace or a reserved character or is exactly ``seq``;
- tokens are separated by one space, except ``seq(a, b)``, ``@name`` and ``reg:``;
- a scene with no items prints as ``name = ()``.

Lines and columns in error messages are 1-based and count code points, so a tab or an
emoji counts as one column.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from .errors import (
    CyclicDefinitionError,
    DuplicateDefinitionError,
    FormulaSyntaxError,
    InvalidNameError,
    UnknownSymbolError,
)
from .scene import (
    DEFAULT_REGISTER,
    Atom,
    Bind,
    Filler,
    Item,
    Ref,
    Scene,
    Seq,
    normalize_label,
)

__all__ = [
    "RESERVED_CHARACTERS",
    "SEQUENCE_KEYWORD",
    "depth",
    "parse",
    "parse_scene",
    "to_document",
    "to_formula",
    "topological_order",
]

#: Characters that end a bare label. A label that contains one must be quoted.
RESERVED_CHARACTERS = frozenset('=+*:(),;#@"«»')

#: Keyword that starts a sequence when it is followed by ``(``.
SEQUENCE_KEYWORD = "seq"

# Unicode categories that no label may contain: control characters, lone surrogates,
# and the line and paragraph separators, which would break the one-line form.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})

_ITEM_START = "a label, '@name', 'seq(…)' or '('"
_STATEMENT_END = "'+', ';', a line break or the end of input"
_STRUCTURE_AS_FILLER = (
    "To pair a role with structure, define the structure as a named scene, for "
    "example 'inner = …', and write 'role * inner'."
)


# --- names ------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _find_forbidden_character(label: str) -> str | None:
    for char in label:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            return char
    return None


def _needs_quotes(label: str) -> bool:
    if label == SEQUENCE_KEYWORD or not label:
        return True
    return any(char.isspace() or char in RESERVED_CHARACTERS for char in label)


@lru_cache(maxsize=1 << 16)
def _format_label(label: str) -> str:
    """Return ``label`` as formula text, quoted only if a bare label cannot spell it."""
    if not _needs_quotes(label):
        return label
    escaped = label.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _position_prefix(line: int, column: int) -> str:
    return f"line {line}, column {column}: "


def _check_label(label: str, kind: str, where: str = "") -> None:
    """Raise InvalidNameError if ``label`` is empty or has a forbidden character."""
    if not label:
        raise InvalidNameError(
            f"{where}{kind} is empty. Give it at least one character."
        )
    char = _find_forbidden_character(label)
    if char is not None:
        raise InvalidNameError(
            f"{where}{kind} {label!r} contains the character U+{ord(char):04X}. Labels "
            "cannot contain control characters, line or paragraph separators or lone "
            "surrogates, so remove it."
        )


def _check_scene_name(name: str, where: str = "", kind: str = "scene name") -> None:
    """Raise InvalidNameError unless ``name`` can name a scene."""
    _check_label(name, kind, where)
    if name == SEQUENCE_KEYWORD:
        raise InvalidNameError(
            f"{where}{kind} 'seq' is the sequence keyword and cannot name a scene. "
            "Choose another name."
        )
    if name.startswith("#"):
        raise InvalidNameError(
            f"{where}{kind} {name!r} starts with '#', the comment character, and "
            "cannot name a scene. Choose a name without the leading '#'."
        )


def _check_register_name(register: str, where: str = "") -> None:
    """Raise InvalidNameError unless ``register`` is letters, digits, '_' and '-'."""
    if not register or not all(char.isalnum() or char in "_-" for char in register):
        raise InvalidNameError(
            f"{where}register name {register!r} is invalid. A register name is a bare "
            "identifier of letters, digits, '_' and '-'."
        )


# --- tokens -----------------------------------------------------------------------


class _Kind(Enum):
    """Token kind. Each value is the name that error messages use for the kind."""

    NAME = "a name"
    EQUALS = "'='"
    PLUS = "'+'"
    STAR = "'*'"
    COLON = "':'"
    OPEN = "'('"
    CLOSE = "')'"
    COMMA = "','"
    AT = "'@'"
    SEMICOLON = "';'"
    NEWLINE = "end of line"
    END = "end of input"


_PUNCTUATION = {
    "=": _Kind.EQUALS,
    "+": _Kind.PLUS,
    "*": _Kind.STAR,
    ":": _Kind.COLON,
    "(": _Kind.OPEN,
    ")": _Kind.CLOSE,
    ",": _Kind.COMMA,
    "@": _Kind.AT,
    ";": _Kind.SEMICOLON,
}


@dataclass(frozen=True)
class _Token:
    """A token with its source text and 1-based position.

    For a NAME, ``value`` is the NFC label with quotes and escapes removed.
    """

    kind: _Kind
    text: str
    value: str
    quoted: bool
    line: int
    column: int
    offset: int

    @property
    def end(self) -> int:
        return self.offset + len(self.text)

    @property
    def found(self) -> str:
        if self.kind in (_Kind.NEWLINE, _Kind.END):
            return self.kind.value
        return self.text

    @property
    def where(self) -> str:
        return _position_prefix(self.line, self.column)

    def is_keyword(self, keyword: str) -> bool:
        return self.kind is _Kind.NAME and not self.quoted and self.value == keyword


def _syntax_error(token: _Token, message: str, expected: str) -> FormulaSyntaxError:
    return FormulaSyntaxError(
        message,
        line=token.line,
        column=token.column,
        found=token.found,
        expected=expected,
    )


def _unexpected(token: _Token, expected: str, hint: str = "") -> FormulaSyntaxError:
    message = f"expected {expected}, found {token.found}."
    if hint:
        message = f"{message} {hint}"
    return _syntax_error(token, message, expected)


class _Tokenizer:
    """Split formula text into tokens, dropping whitespace and comments."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1
        self._line_start = 0

    def _column(self, pos: int) -> int:
        return pos - self._line_start + 1

    def _token(
        self, kind: _Kind, end: int, value: str = "", quoted: bool = False
    ) -> _Token:
        text = self._text[self._pos : end]
        return _Token(
            kind,
            text,
            value or text,
            quoted,
            self._line,
            self._column(self._pos),
            self._pos,
        )

    def _error(
        self, pos: int, message: str, found: str, expected: str
    ) -> FormulaSyntaxError:
        return FormulaSyntaxError(
            message,
            line=self._line,
            column=self._column(pos),
            found=found,
            expected=expected,
        )

    def tokenize(self) -> list[_Token]:
        text = self._text
        tokens: list[_Token] = []
        while self._pos < len(text):
            char = text[self._pos]
            if char in "\r\n":
                end = self._pos + (2 if text.startswith("\r\n", self._pos) else 1)
                tokens.append(self._token(_Kind.NEWLINE, end))
                self._pos = end
                self._line += 1
                self._line_start = end
            elif char.isspace():
                self._pos += 1
            elif char == "#":
                self._pos = self._line_end(self._pos)
            elif char in _PUNCTUATION:
                tokens.append(self._token(_PUNCTUATION[char], self._pos + 1))
                self._pos += 1
            elif char == '"':
                tokens.append(self._read_double_quoted())
            elif char == "«":
                tokens.append(self._read_guillemet_quoted())
            elif char == "»":
                raise self._error(
                    self._pos,
                    "found '»' without an opening '«'. Quote the label as «label» or "
                    '"label".',
                    found="»",
                    expected=_ITEM_START,
                )
            else:
                tokens.append(self._read_bare())
        tokens.append(self._token(_Kind.END, self._pos))
        return tokens

    def _line_end(self, pos: int) -> int:
        text = self._text
        while pos < len(text) and text[pos] not in "\r\n":
            pos += 1
        return pos

    def _name(self, end: int, raw: str, quoted: bool) -> _Token:
        value = normalize_label(raw)
        _check_label(
            value, "label", _position_prefix(self._line, self._column(self._pos))
        )
        token = self._token(_Kind.NAME, end, value, quoted)
        self._pos = end
        return token

    def _unterminated(self, closing: str) -> FormulaSyntaxError:
        end = self._line_end(self._pos)
        found = self._text[self._pos : end]
        if len(found) > 40:
            found = found[:40] + "…"
        return self._error(
            self._pos,
            f"the quoted label {found} is not closed. Close it with {closing} on the "
            "same line, because a label cannot span lines.",
            found=found,
            expected=f"a closing {closing}",
        )

    def _read_double_quoted(self) -> _Token:
        text = self._text
        pos = self._pos + 1
        chars: list[str] = []
        while pos < len(text):
            char = text[pos]
            if char == '"':
                return self._name(pos + 1, "".join(chars), quoted=True)
            if char in "\r\n":
                break
            if char == "\\":
                following = text[pos + 1 : pos + 2]
                if following not in ('"', "\\"):
                    visible = following and following not in "\r\n"
                    found = "\\" + following if visible else "\\"
                    raise self._error(
                        pos,
                        f"unknown escape {found!r} in a quoted label. The only escapes "
                        'are \\" for a quote and \\\\ for a backslash.',
                        found=found,
                        expected='\\" or \\\\',
                    )
                chars.append(following)
                pos += 2
                continue
            chars.append(char)
            pos += 1
        raise self._unterminated("'\"'")

    def _read_guillemet_quoted(self) -> _Token:
        text = self._text
        pos = self._pos + 1
        while pos < len(text) and text[pos] not in "»\r\n":
            pos += 1
        if pos == len(text) or text[pos] != "»":
            raise self._unterminated("'»'")
        return self._name(pos + 1, text[self._pos + 1 : pos], quoted=True)

    def _read_bare(self) -> _Token:
        text = self._text
        pos = self._pos
        while pos < len(text) and not (
            text[pos].isspace() or text[pos] in RESERVED_CHARACTERS
        ):
            pos += 1
        return self._name(pos, text[self._pos : pos], quoted=False)


# --- syntax tree ------------------------------------------------------------------


@dataclass(frozen=True)
class _FillerNode:
    """A filler name; ``start`` is the '@' of an explicit reference, else the name."""

    name: _Token
    explicit: bool
    start: _Token


@dataclass(frozen=True)
class _PairNode:
    role: _Token
    filler: _FillerNode


@dataclass(frozen=True)
class _SeqNode:
    fillers: tuple[_FillerNode, ...]


_Node = _FillerNode | _PairNode | _SeqNode


@dataclass(frozen=True)
class _Entry:
    """An item as written, with its register and the tokens where it starts and ends."""

    register: str
    node: _Node
    start: _Token
    stop: _Token


@dataclass
class _Definition:
    name: str
    token: _Token
    entries: list[_Entry]


# --- parser -----------------------------------------------------------------------


class _Parser:
    """Recursive-descent parser from tokens to definitions with unresolved names."""

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._pos = 0
        self._last = tokens[0]
        # Open parentheses, innermost last. Line breaks inside them are whitespace.
        self._open: list[_Token] = []

    def _peek(self, ahead: int = 0) -> _Token:
        index = self._pos
        while True:
            token = self._tokens[index]
            if self._open and token.kind is _Kind.NEWLINE:
                index += 1
                continue
            if ahead == 0 or token.kind is _Kind.END:
                return token
            ahead -= 1
            index += 1

    def _next(self) -> _Token:
        if self._open:
            while self._tokens[self._pos].kind is _Kind.NEWLINE:
                self._pos += 1
        token = self._tokens[self._pos]
        if token.kind is not _Kind.END:
            self._pos += 1
        self._last = token
        return token

    def _expect(self, kind: _Kind, expected: str, hint: str = "") -> _Token:
        token = self._peek()
        if token.kind is not kind:
            raise self._fail(token, expected, hint)
        return self._next()

    def _fail(self, token: _Token, expected: str, hint: str = "") -> FormulaSyntaxError:
        if self._open and (token.kind is _Kind.END or token.line > self._open[-1].line):
            opening = self._open[-1]
            unclosed = (
                f"The '(' at line {opening.line}, column {opening.column} "
                "is not closed."
            )
            hint = f"{hint} {unclosed}" if hint else unclosed
        return _unexpected(token, expected, hint)

    # statements

    def parse_document(self) -> list[_Definition]:
        definitions: list[_Definition] = []
        while True:
            token = self._peek()
            if token.kind in (_Kind.NEWLINE, _Kind.SEMICOLON):
                self._next()
                continue
            if token.kind is _Kind.END:
                return definitions
            definitions.append(self._parse_statement())
            token = self._peek()
            if token.kind not in (_Kind.NEWLINE, _Kind.SEMICOLON, _Kind.END):
                raise self._statement_end_error(token)

    def _statement_end_error(self, token: _Token) -> FormulaSyntaxError:
        hint = ""
        if token.kind is _Kind.NAME and self._last.kind is _Kind.NAME:
            spaced = f"{self._last.value} {token.value}"
            hint = (
                "A label with spaces must be quoted, as in "
                f"{_format_label(spaced)}, and items are joined with '+'."
            )
        elif token.kind is _Kind.CLOSE:
            hint = "This ')' has no matching '('."
        elif token.kind is _Kind.EQUALS:
            hint = "Each definition needs its own line or a ';' before it."
        return _unexpected(token, _STATEMENT_END, hint)

    def _parse_statement(self) -> _Definition:
        token = self._peek()
        if token.kind is not _Kind.NAME:
            raise self._fail(token, "a scene name at the start of a definition")
        name = self._next()
        _check_scene_name(name.value, name.where)
        after = self._peek()
        if after.kind is not _Kind.EQUALS:
            hint = ""
            if after.kind is _Kind.NAME:
                spaced = f"{name.value} {after.value}"
                hint = (
                    f"A name with spaces must be quoted, as in {_format_label(spaced)}."
                )
            raise self._fail(after, f"'=' after the scene name {name.text}", hint)
        self._next()
        definition = _Definition(name.value, name, [])
        first = self._peek()
        if first.kind in (_Kind.NEWLINE, _Kind.SEMICOLON, _Kind.END):
            raise self._fail(
                first,
                _ITEM_START,
                f"Write '{name.text} = ()' for a scene with no items.",
            )
        if self._is_empty_expression():
            self._next()
            self._next()
            return definition
        self._parse_expr(None, definition.entries)
        return definition

    def _is_empty_expression(self) -> bool:
        return (
            self._peek().kind is _Kind.OPEN
            and self._peek(1).kind is _Kind.CLOSE
            and self._peek(2).kind in (_Kind.NEWLINE, _Kind.SEMICOLON, _Kind.END)
        )

    # expressions

    def _parse_expr(self, register: str | None, entries: list[_Entry]) -> None:
        self._parse_term(register, entries)
        while self._peek().kind is _Kind.PLUS:
            self._next()
            self._parse_term(register, entries)

    def _starts_register_prefix(self) -> bool:
        return self._peek().kind is _Kind.NAME and self._peek(1).kind is _Kind.COLON

    def _parse_term(self, register: str | None, entries: list[_Entry]) -> None:
        if self._starts_register_prefix() and register is None:
            token = self._next()
            self._next()
            if token.quoted:
                raise InvalidNameError(
                    f"{token.where}register name {token.text} is quoted, but a "
                    "register name is a bare identifier of letters, digits, '_' and "
                    "'-'. Remove the quotes and any other characters."
                )
            _check_register_name(token.value, token.where)
            register = token.value
        self._parse_group_or_item(register, entries)

    def _parse_group_or_item(self, register: str | None, entries: list[_Entry]) -> None:
        token = self._peek()
        if self._starts_register_prefix() and register is not None:
            raise _syntax_error(
                token,
                f"the register prefix '{token.text}:' is inside the register prefix "
                f"'{register}:', but registers do not nest. Write '{token.text}: …' as "
                "a separate term, joined to the others with '+'.",
                _ITEM_START,
            )
        if token.kind is _Kind.OPEN:
            self._parse_group(register, entries)
            role_kind = "a group"
            advice = _STRUCTURE_AS_FILLER
        else:
            entry = self._parse_item(register or DEFAULT_REGISTER)
            entries.append(entry)
            if isinstance(entry.node, _PairNode):
                return
            if isinstance(entry.node, _SeqNode):
                role_kind = "a sequence"
                advice = _STRUCTURE_AS_FILLER
            elif entry.node.explicit:
                role_kind = "a reference"
                advice = "Remove the '@' to use the name as a plain label."
            else:
                return
        star = self._peek()
        if star.kind is _Kind.STAR:
            raise _syntax_error(
                star,
                f"the role of a pair must be a plain label, not {role_kind}. {advice}",
                _STATEMENT_END,
            )

    def _parse_group(self, register: str | None, entries: list[_Entry]) -> None:
        opening = self._next()
        self._open.append(opening)
        if self._peek().kind is _Kind.CLOSE:
            raise _syntax_error(
                self._peek(),
                "empty parentheses '()' can only stand alone as the whole expression "
                "of a scene with no items, as in 'name = ()'.",
                _ITEM_START,
            )
        self._parse_expr(register, entries)
        self._expect(_Kind.CLOSE, "'+' or ')'")
        self._open.pop()

    def _parse_item(self, register: str) -> _Entry:
        start = self._peek()
        if start.is_keyword(SEQUENCE_KEYWORD) and self._peek(1).kind is _Kind.OPEN:
            node: _Node = self._parse_seq()
        elif start.kind is _Kind.AT:
            node = self._parse_filler("an item")
        elif start.kind is _Kind.NAME:
            name = self._next()
            if self._peek().kind is _Kind.STAR:
                self._next()
                node = _PairNode(name, self._parse_filler("the filler of a pair"))
                self._reject_second_star(name, node.filler)
            else:
                node = _FillerNode(name, explicit=False, start=name)
        else:
            raise self._fail(start, _ITEM_START)
        return _Entry(register, node, start, self._last)

    def _reject_second_star(self, role: _Token, filler: _FillerNode) -> None:
        star = self._peek()
        if star.kind is not _Kind.STAR:
            return
        third = self._peek(1)
        third_text = third.text if third.kind is _Kind.NAME else "c"
        raise _syntax_error(
            star,
            "a role–filler pair has one role and one filler, so "
            f"'{role.text} * {filler.name.text} * …' cannot be read. Define the inner "
            f"pair as a named scene, for example 'inner = {filler.name.text} * "
            f"{third_text}', and write '{role.text} * inner'.",
            _STATEMENT_END,
        )

    def _parse_seq(self) -> _SeqNode:
        self._next()
        self._open.append(self._next())
        if self._peek().kind is _Kind.CLOSE:
            raise _syntax_error(
                self._peek(),
                "a sequence needs at least one item, but 'seq()' has none.",
                "a label or '@name'",
            )
        fillers = [self._parse_filler("a sequence item")]
        while True:
            token = self._peek()
            if token.kind is _Kind.COMMA:
                self._next()
                fillers.append(self._parse_filler("a sequence item"))
            elif token.kind is _Kind.CLOSE:
                self._next()
                self._open.pop()
                return _SeqNode(tuple(fillers))
            else:
                hint = ""
                if token.kind in (_Kind.STAR, _Kind.PLUS, _Kind.COLON):
                    hint = (
                        "A sequence item is a single name. Define structure as a named "
                        "scene and put its name in the sequence."
                    )
                raise self._fail(token, "',' or ')'", hint)

    def _parse_filler(self, place: str) -> _FillerNode:
        token = self._peek()
        structured = token.kind is _Kind.OPEN or (
            token.is_keyword(SEQUENCE_KEYWORD) and self._peek(1).kind is _Kind.OPEN
        )
        if structured:
            raise _syntax_error(
                token,
                f"{place} must be a single name, not a group or a sequence. Define the "
                "structure as a named scene, for example 'inner = …', and write its "
                "name here.",
                "a label or '@name'",
            )
        if token.kind is _Kind.AT:
            at = self._next()
            name = self._expect(_Kind.NAME, "a scene name after '@'")
            return _FillerNode(name, explicit=True, start=at)
        name = self._expect(_Kind.NAME, f"a label or '@name' as {place}")
        return _FillerNode(name, explicit=False, start=name)


# --- resolution -------------------------------------------------------------------


def _parse_definitions(text: str) -> tuple[list[_Definition], _Token]:
    """Parse ``text`` into definitions and return them with its END token."""
    if not isinstance(text, str):
        raise TypeError(f"formula text must be a str, got {type(text).__name__}")
    tokens = _Tokenizer(text).tokenize()
    return _Parser(tokens).parse_document(), tokens[-1]


def _known_names(known: Collection[str]) -> frozenset[str]:
    if isinstance(known, str):
        raise TypeError(
            "known must be a collection of scene names, not a str. "
            f"Write known=[{known!r}] for one name"
        )
    return frozenset(normalize_label(name) for name in known)


def _check_unique_names(definitions: list[_Definition]) -> None:
    first: dict[str, _Token] = {}
    for definition in definitions:
        earlier = first.setdefault(definition.name, definition.token)
        if earlier is not definition.token:
            raise DuplicateDefinitionError(
                f"{definition.token.where}scene {_format_label(definition.name)} is "
                f"defined twice, on line {earlier.line} and line "
                f"{definition.token.line}. Rename one of them, or merge their items "
                "into one definition."
            )


def _resolve_filler(node: _FillerNode, names: _Names) -> Filler:
    token = node.name
    explicit_only = not names.bare_known and not node.explicit
    if token.value in names.defined or (token.value in names.known and not explicit_only):
        _check_scene_name(token.value, node.start.where, kind="referenced scene name")
        return Ref(token.value)
    if node.explicit:
        raise UnknownSymbolError(
            f"{node.start.where}@{token.text} refers to no scene. Define "
            f"'{token.text} = …' in this document, pass the name in known, or drop the "
            "'@' to use the label as an atom."
        )
    return Atom(token.value)


@dataclass(frozen=True)
class _Names:
    """Scene names a filler may refer to: those of the document and the caller's."""

    defined: frozenset[str]
    known: frozenset[str]
    bare_known: bool


def _resolve_item(node: _Node, names: _Names) -> Item:
    if isinstance(node, _FillerNode):
        return _resolve_filler(node, names)
    if isinstance(node, _PairNode):
        return Bind(node.role.value, _resolve_filler(node.filler, names))
    return Seq(tuple(_resolve_filler(filler, names) for filler in node.fillers))


def _build_scene(definition: _Definition, names: _Names, source: str) -> Scene:
    registers: dict[str, dict[Item, _Entry]] = {}
    for entry in definition.entries:
        item = _resolve_item(entry.node, names)
        seen = registers.setdefault(entry.register, {})
        if item in seen:
            first = seen[item].start
            written = source[entry.start.offset : entry.stop.end]
            raise FormulaSyntaxError(
                f"{written} is already in register '{entry.register}' of scene "
                f"{definition.token.text}, first at line {first.line}, column "
                f"{first.column}. A register is a set, so remove the repeated item.",
                line=entry.start.line,
                column=entry.start.column,
                found=written,
                expected=f"an item not yet in register '{entry.register}'",
            )
        seen[item] = entry
    return Scene(
        definition.name, {name: frozenset(items) for name, items in registers.items()}
    )


def _build_scenes(
    definitions: list[_Definition],
    known: Collection[str],
    source: str,
    bare_known: bool = True,
) -> dict[str, Scene]:
    _check_unique_names(definitions)
    names = _Names(
        defined=frozenset(definition.name for definition in definitions),
        known=_known_names(known),
        bare_known=bare_known,
    )
    scenes = {
        definition.name: _build_scene(definition, names, source)
        for definition in definitions
    }
    lines = {definition.name: definition.token.line for definition in definitions}
    graph = {name: scene.refs() for name, scene in scenes.items()}
    _order_graph(graph, lambda name: f"{_format_label(name)} (line {lines[name]})")
    return scenes


def parse(
    text: str, known: Collection[str] = (), *, bare_known: bool = True
) -> dict[str, Scene]:
    """Parse a document of definitions into scenes, in document order.

    Parameters
    ----------
    text
        Definitions ``name = expression`` separated by line breaks or ``;``.
    known
        Names of scenes defined elsewhere, such as in a vocabulary. A filler with one
        of these names becomes a :class:`Ref`.
    bare_known
        False resolves ``known`` names only when written ``@name``; use it to read
        canonical text, in which an atom may share a known scene's name.

    Returns
    -------
    dict[str, Scene]
        Scene name to scene, in the order of the definitions.

    Raises
    ------
    FormulaSyntaxError
        The text does not follow the grammar, or an item repeats in one register.
    InvalidNameError
        A label, scene name or register name is empty, contains a control character,
        or is not allowed in its place.
    DuplicateDefinitionError
        Two definitions have the same name.
    UnknownSymbolError
        An ``@name`` is neither defined in the document nor in ``known``.
    CyclicDefinitionError
        A scene refers to itself, directly or through other scenes of the document.
    """
    definitions, _ = _parse_definitions(text)
    return _build_scenes(definitions, known, text, bare_known)


def parse_scene(
    text: str, known: Collection[str] = (), *, bare_known: bool = True
) -> Scene:
    """Parse text that contains exactly one definition into its scene.

    Takes the arguments of :func:`parse`, raises its errors, and raises
    :class:`FormulaSyntaxError` when the text contains no definition or more than one.
    """
    definitions, end = _parse_definitions(text)
    if not definitions:
        raise _unexpected(end, "a definition 'name = …'")
    if len(definitions) > 1:
        second = definitions[1].token
        raise _syntax_error(
            second,
            f"parse_scene reads exactly one definition, but the text has "
            f"{len(definitions)}. Use parse() for a document of several scenes.",
            _Kind.END.value,
        )
    return _build_scenes(definitions, known, text, bare_known)[definitions[0].name]


# --- printer ----------------------------------------------------------------------


def _fillers(scene: Scene) -> Iterator[Filler]:
    for items in scene.registers.values():
        for item in items:
            if isinstance(item, (Atom, Ref)):
                yield item
            elif isinstance(item, Bind):
                yield item.filler
            else:
                yield from item.items


def _format_filler(filler: Filler) -> str:
    if isinstance(filler, Ref):
        _check_scene_name(filler.name, kind="referenced scene name")
        return "@" + _format_label(filler.name)
    _check_label(filler.label, "atom label")
    return _format_label(filler.label)


def _format_item(item: Item) -> str:
    if isinstance(item, Bind):
        _check_label(item.role, "role label")
        return f"{_format_label(item.role)} * {_format_filler(item.filler)}"
    if isinstance(item, Seq):
        return "seq(" + ", ".join(_format_filler(x) for x in item.items) + ")"
    return _format_filler(item)


def _check_atoms_are_not_names(scene: Scene, names: Collection[str]) -> None:
    """Raise InvalidNameError if an atom label would read back as a reference."""
    for filler in _fillers(scene):
        if isinstance(filler, Atom) and filler.label in names:
            raise InvalidNameError(
                f"scene {_format_label(scene.name)} contains the atom "
                f"{_format_label(filler.label)}, which is also the name of a scene "
                "that the text defines or refers to, so it would read back as a "
                "reference to that scene. Rename the atom or the scene."
            )


def to_formula(scene: Scene) -> str:
    """Return the canonical formula of ``scene``, one line ``name = …``.

    The module docstring lists the canonical rules. Parsing the result with the names
    of the scene's references as ``known`` gives back an equal scene.

    Raises
    ------
    InvalidNameError
        A name or label cannot be written. It is empty or contains a control
        character, a register name is not an identifier, or a reference names
        ``seq``. An atom with the name of the scene itself or of a scene it refers to
        is also rejected, because it would read back as a reference.
    CyclicDefinitionError
        The scene refers to itself.
    """
    _check_scene_name(scene.name)
    _check_atoms_are_not_names(scene, {scene.name} | scene.refs())
    if scene.name in scene.refs():
        raise CyclicDefinitionError(
            f"scene {_format_label(scene.name)} refers to itself. A scene cannot "
            "contain itself, so remove the reference."
        )
    parts = [_format_item(item) for item in scene.items(DEFAULT_REGISTER)]
    for register in scene.registers:
        if register == DEFAULT_REGISTER:
            continue
        _check_register_name(register)
        items = [_format_item(item) for item in scene.items(register)]
        if len(items) == 1:
            parts.append(f"{register}: {items[0]}")
        else:
            parts.append(f"{register}: ({' + '.join(items)})")
    body = " + ".join(parts) if parts else "()"
    return f"{_format_label(scene.name)} = {body}"


def to_document(scenes: Iterable[Scene]) -> str:
    """Return the formulas of ``scenes``, one line each, in the order given.

    Every line ends with a line break, and no scenes give an empty string.

    Raises
    ------
    DuplicateDefinitionError
        Two scenes have the same name.
    InvalidNameError
        A scene contains an atom with the name of a scene in ``scenes``, or a name
        that :func:`to_formula` cannot write.
    CyclicDefinitionError
        The scenes refer to each other in a cycle.
    """
    scenes = list(scenes)
    names: set[str] = set()
    for scene in scenes:
        if scene.name in names:
            raise DuplicateDefinitionError(
                f"two scenes are named {_format_label(scene.name)}. A document defines "
                "each name once, so rename one of them."
            )
        names.add(scene.name)
    for scene in scenes:
        _check_atoms_are_not_names(scene, names)
    _order_graph({scene.name: scene.refs() for scene in scenes}, _format_label)
    return "".join(to_formula(scene) + "\n" for scene in scenes)


# --- reference graph --------------------------------------------------------------


def _order_graph(
    graph: Mapping[str, Iterable[str]], describe: Callable[[str], str]
) -> list[str]:
    """Return the names of ``graph`` with every name after the names it refers to.

    Names outside ``graph`` are ignored. The order is deterministic: roots in mapping
    order, references in sorted order. The search is iterative, so long chains do not
    hit the recursion limit.

    Raises
    ------
    CyclicDefinitionError
        With the attribute ``cycle``, the names of the cycle with its first name
        repeated at the end.
    """
    order: list[str] = []
    done: set[str] = set()
    for root in graph:
        if root in done:
            continue
        path = [root]
        on_path = {root}
        stack = [iter(sorted(graph[root]))]
        while stack:
            for child in stack[-1]:
                if child not in graph or child in done:
                    continue
                if child in on_path:
                    cycle = path[path.index(child) :] + [child]
                    error = CyclicDefinitionError(
                        "the scenes form a cycle of references: "
                        f"{' → '.join(describe(name) for name in cycle)}. A scene "
                        "cannot contain itself, so remove one of these references."
                    )
                    error.cycle = tuple(cycle)
                    raise error
                path.append(child)
                on_path.add(child)
                stack.append(iter(sorted(graph[child])))
                break
            else:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                order.append(finished)
    return order


def topological_order(scenes: Mapping[str, Scene]) -> list[str]:
    """Order scene names so that every referenced scene comes before its referrers.

    References to names that are not keys of ``scenes`` are ignored. The order is
    deterministic: a depth-first search visits the scenes in mapping order and places
    each scene after the scenes it refers to.

    Raises
    ------
    CyclicDefinitionError
        The scenes refer to each other in a cycle. Its ``cycle`` attribute contains the
        names of the cycle.
    """
    graph = {name: scene.refs() for name, scene in scenes.items()}
    return _order_graph(graph, _format_label)


def depth(name: str, scenes: Mapping[str, Scene]) -> int:
    """Return the nesting depth of scene ``name`` through its references.

    A scene without references has depth 1, and a scene that refers to others has one
    more than the deepest of them.

    Raises
    ------
    UnknownSymbolError
        ``name`` or a scene it reaches is not a key of ``scenes``.
    CyclicDefinitionError
        The scenes reachable from ``name`` refer to each other in a cycle.
    """
    name = normalize_label(name)
    graph: dict[str, set[str]] = {}
    pending = [(name, None)]
    while pending:
        current, referrer = pending.pop()
        if current in graph:
            continue
        if current not in scenes:
            where = f", which {_format_label(referrer)} refers to," if referrer else ""
            raise UnknownSymbolError(
                f"scene {_format_label(current)}{where} is not in the mapping. Add it "
                "to compute the depth."
            )
        graph[current] = scenes[current].refs()
        pending.extend((child, current) for child in graph[current])
    depths: dict[str, int] = {}
    for current in _order_graph(graph, _format_label):
        depths[current] = 1 + max(
            (depths[child] for child in graph[current]), default=0
        )
    return depths[name]
