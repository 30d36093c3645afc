"""SceneExpander: symbol → scene, with anchors, explaining away and certification.

Each slot of a symbol (a register and a slot key, see :mod:`scenefold.compressor`)
is read by unbinding the register and key vectors from the symbol, rotating back the
filler's permutation and searching the vocabulary. The first pass queries the
symbol's bits. When re-folding that first reading does not reproduce the symbol, the
decoder explains away. Its integer residual is the symbol scaled to the size of the
bundle minus every term found in the other slots, and it reads each slot again from
that residual until the reading stops changing. An unfolding is ``exact`` only when
re-folding the decoded scene reproduces the symbol bit for bit and, with a metacode,
the checksum of its canonical formula matches.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from scenefold._core import Codebook, Space
from scenefold.compressor import Term, bundle_bits, canonical_text, term_vectors
from scenefold.errors import InvalidArgumentError
from scenefold.scene import Atom, Bind, Item, Ref, Scene, Seq, item_sort_key
from scenefold.symbol import PARTS_REGISTER, Metacode, Symbol, formula_checksum
from scenefold.vocabulary import REF_KEY, SYMBOL_ROW_PREFIX, Vocabulary

#: Fixed-point scale of the residual: found terms are subtracted with this weight.
_UNIT = 16

#: Most items one slot yields when no metacode gives its count, about the capacity
#: of one 8192-bit vector.
_BLIND_SLOT_LIMIT = 64

# A term of a majority bundle of K terms has similarity about sqrt(2 / (pi K)) with
# the symbol, so its z-score on a prefix of B bits is about sqrt(2 B / (pi K)): at
# least 7 for K <= 13 on 1024 bits and for K <= 6 on 512 bits, far above the few
# sigma that random rows reach. Larger bundles are searched exhaustively, and a
# missed term is caught by re-folding.
_PREFILTER_MAX_TERMS = 13
_SHORT_PREFIX_MAX_TERMS = 6
_PREFILTER_MIN_ROWS = 4096
_PREFILTER_EXTRA = 64


@dataclass(frozen=True)
class Found:
    """An item found in a slot of a symbol, with its evidence.

    Attributes
    ----------
    register, key
        The slot: the register and the role, ``""`` for plain items, or a
        ``"#seq:j:i"`` sequence position.
    filler
        The atom or sub-scene reference found.
    activation
        Similarity of the filler with the slot's query, in [-1, 1].
    z
        ``activation * sqrt(dim)``, standard deviations above the noise floor.
    margin
        Activation minus that of the best candidate the slot did not take.
    """

    register: str
    key: str
    filler: Atom | Ref
    activation: float
    z: float
    margin: float

    @property
    def label(self) -> str:
        """Return the label of the filler, or the name of the referenced scene."""
        return self.filler.label if isinstance(self.filler, Atom) else self.filler.name


@dataclass
class Unfolding:
    """The result of unfolding a symbol.

    Attributes
    ----------
    name
        The symbol's name.
    scene
        The decoded scene; a split scene comes back whole, its parts merged.
    found
        Every item found, with activation, z-score and margin.
    exact
        True only when re-folding ``scene`` reproduces the symbol's bits (and, with a
        metacode, the checksum of its canonical formula).
    reasons
        Why the unfolding is not exact; empty when it is.
    children
        Unfoldings of the sub-scenes ``scene`` refers to, by name, to the depth limit.
    rounds
        Decoding passes used; more than 1 means explaining away was needed.
    """

    name: str
    scene: Scene
    found: list[Found] = field(default_factory=list)
    exact: bool = False
    reasons: list[str] = field(default_factory=list)
    children: dict[str, Unfolding] = field(default_factory=dict)
    rounds: int = 1
    metacode: Metacode | None = None

    def anchors(self, register: str | None = None) -> list[Found]:
        """Return the items found, of one register or all, strongest first."""
        chosen = [f for f in self.found if register is None or f.register == register]
        return sorted(chosen, key=lambda f: (-f.z, f.register, f.key, f.label))

    @property
    def min_margin(self) -> float:
        """Return the smallest margin of any item found, ``inf`` when none was."""
        return min((f.margin for f in self.found), default=math.inf)


@dataclass(frozen=True)
class _Slot:
    register: str
    key: str
    shift: int
    count: int | None


class SceneExpander:
    """Unfolds symbols into scenes against a vocabulary.

    Parameters
    ----------
    space
        The space of the symbols; taken from ``vocabulary`` when omitted.
    vocabulary
        The labels and symbols to decode against, usually the one a
        :class:`~scenefold.SceneCompressor` filled.
    alpha
        Accepted false-anchor rate per slot when no metacode gives the counts.
    max_depth
        How many levels of sub-scenes :meth:`unfold` descends.
    max_rounds
        Most explaining-away passes after the first reading.
    blind_pairs
        How a blind reading finds role–filler pairs: ``"resonator"`` factors each
        register into roles and fillers with a :class:`~scenefold.Resonator`, without
        trying every role; ``"roles"`` reads one slot per role the vocabulary has
        recorded.
    """

    def __init__(
        self,
        space: Space | None = None,
        vocabulary: Vocabulary | None = None,
        *,
        alpha: float = 0.01,
        max_depth: int = 8,
        max_rounds: int = 8,
        blind_pairs: str = "resonator",
    ) -> None:
        if blind_pairs not in ("resonator", "roles"):
            raise InvalidArgumentError(
                f"blind_pairs must be 'resonator' or 'roles', got {blind_pairs!r}"
            )
        if vocabulary is None:
            vocabulary = Vocabulary(space if space is not None else Space())
        if space is not None and space != vocabulary.space:
            raise InvalidArgumentError(
                f"the vocabulary is of {vocabulary.space!r}, not of {space!r}"
            )
        if not 0.0 < alpha < 1.0:
            raise InvalidArgumentError(
                f"alpha is a false-anchor rate and must lie strictly between 0 and 1, "
                f"got {alpha}"
            )
        if max_depth < 0 or max_rounds < 0:
            raise InvalidArgumentError(
                f"max_depth and max_rounds must not be negative, got {max_depth} and "
                f"{max_rounds}"
            )
        self.vocabulary = vocabulary
        self.space = vocabulary.space
        self.alpha = alpha
        self.max_depth = max_depth
        self.max_rounds = max_rounds
        self.blind_pairs = blind_pairs

    # --- public API ------------------------------------------------------------

    def unfold(
        self,
        symbol: Symbol | str,
        *,
        register: str | None = None,
        depth: int | None = None,
        use_metacode: bool = True,
    ) -> Unfolding:
        """Unfold a symbol, or the symbol of that name, into its scene.

        Parameters
        ----------
        symbol
            A :class:`~scenefold.Symbol` or the name of one in the vocabulary.
        register
            Keep only this register in the result; the whole symbol is still decoded
            so that ``exact`` keeps its meaning.
        depth
            Levels of sub-scenes to unfold; ``max_depth`` when omitted, 0 for none.
        use_metacode
            False decodes blind: every known register, role and sequence position is
            tried and items are kept while they clear the anchor threshold.
        """
        if isinstance(symbol, str):
            symbol = self.vocabulary.symbol(symbol)
        symbol.metacode.check_space(self.space)
        depth = self.max_depth if depth is None else depth
        metacode = symbol.metacode if use_metacode else None
        unfolding = self._unfold(symbol.name, symbol.bits, metacode, depth)
        if register is not None:
            unfolding = _only_register(unfolding, register)
        return unfolding

    def unfold_bits(self, bits: np.ndarray, name: str = "?") -> Unfolding:
        """Unfold bare bits with no metacode, keeping significant anchors only."""
        return self._unfold(name, bits, None, self.max_depth)

    # --- decoding --------------------------------------------------------------

    def _unfold(
        self,
        name: str,
        bits: np.ndarray,
        metacode: Metacode | None,
        depth: int,
        root: str | None = None,
        visiting: frozenset[str] = frozenset(),
    ) -> Unfolding:
        slots = self._slots(metacode)
        if metacode is None and self.blind_pairs == "resonator":
            slots = self._resonator_slots(bits, slots)
        n_terms = metacode.n_items if metacode is not None else None
        # A scene's symbol is similar to the symbols of the scenes that contain it, so
        # without counts to stop at, those would read as items of their own child.
        excluded = self._ancestor_labels(name) if metacode is None else frozenset()
        # With a metacode each slot is read from the codebook of what that slot has
        # held. A reading that does not certify is retried against every row, so a
        # filler new to its slot is still found.
        typed = metacode is not None
        chosen, found, rounds, reasons = self._decode(
            bits, slots, n_terms, excluded, typed
        )
        if reasons and typed:
            retry = self._decode(bits, slots, n_terms, excluded, typed=False)
            if not retry[3]:
                chosen, found, rounds, reasons = retry
        scene = self._assemble(name, slots, chosen)
        refolded = bundle_bits(self.vocabulary, self._terms(slots, chosen), name)
        distance = int(self.space.hamming(refolded, bits))
        if distance:
            reasons.append(
                f"re-folding the decoded scene differs from the symbol in {distance} "
                f"of {self.space.dim} bits"
            )
        result = Unfolding(name, scene, found, not reasons, reasons, {}, rounds, metacode)

        if scene.registers.get(PARTS_REGISTER):
            result = self._merge_parts(result, root or name, visiting | {name})
        elif metacode is not None and metacode.checksum and not reasons:
            if formula_checksum(canonical_text(scene)) != metacode.checksum:
                result.exact = False
                result.reasons.append(
                    "the decoded scene's formula does not match the metacode checksum"
                )

        if depth > 0:
            for ref in sorted(result.scene.refs()):
                if ref in self.vocabulary:
                    child = self.vocabulary.symbol(ref)
                    result.children[ref] = self._unfold(
                        ref, child.bits, child.metacode if metacode else None, depth - 1
                    )
        return result

    def _merge_parts(
        self, parent: Unfolding, root: str, visiting: frozenset[str]
    ) -> Unfolding:
        """Unfold the parts of a split scene and merge them with the parent's items.

        Every part of a split scene ``x``, at any level, is named ``x#...``, so any
        other reference found in the parts register is rejected, and so is a part
        already being unfolded.
        """
        registers: dict[str, set[Item]] = defaultdict(set)
        for register, items in parent.scene.registers.items():
            if register != PARTS_REGISTER:
                registers[register].update(items)
        found = [f for f in parent.found if f.register != PARTS_REGISTER]
        reasons = list(parent.reasons)
        rounds = parent.rounds
        for ref in sorted(parent.scene.registers[PARTS_REGISTER], key=item_sort_key):
            if not isinstance(ref, Ref) or not ref.name.startswith(root + "#"):
                reasons.append(f"{ref!r} in the parts register is not a part of it")
                continue
            if ref.name in visiting:
                reasons.append(f"part {ref.name!r} refers back to a part being unfolded")
                continue
            if ref.name not in self.vocabulary:
                reasons.append(f"part {ref.name!r} is not a known symbol")
                continue
            part_symbol = self.vocabulary.symbol(ref.name)
            part = self._unfold(
                ref.name,
                part_symbol.bits,
                part_symbol.metacode if parent.metacode else None,
                0,
                root,
                visiting,
            )
            rounds = max(rounds, part.rounds)
            found.extend(part.found)
            reasons.extend(f"part {ref.name!r}: {r}" for r in part.reasons)
            for register, items in part.scene.registers.items():
                registers[register].update(items)
        scene = Scene(parent.name, {k: frozenset(v) for k, v in registers.items()})
        metacode = parent.metacode
        if metacode is not None and not reasons:
            # The top symbol's checksum covers the whole scene; that of a symbol
            # between it and the parts covers only its list of parts.
            checksums = {
                formula_checksum(canonical_text(scene)),
                formula_checksum(canonical_text(parent.scene)),
            }
            if tuple(sorted(parent.scene.refs())) != metacode.parts:
                reasons.append("the decoded parts differ from the metacode's parts")
            elif metacode.checksum not in checksums:
                reasons.append(
                    "the merged scene's formula does not match the metacode checksum"
                )
        return Unfolding(
            parent.name, scene, found, not reasons, reasons, {}, rounds, metacode
        )

    def _resonator_slots(self, bits: np.ndarray, slots: list[_Slot]) -> list[_Slot]:
        """Replace the per-role slots of a blind reading by the pairs a resonator finds.

        For each register the symbol is unbound from the register vector and
        factored into ``role XOR permute(filler, 1)`` terms over the vocabulary's
        roles and every candidate row, explaining away each term found. Each role
        found becomes a blind slot of its register, which then keeps every filler
        that clears the anchor threshold, so a role needs to be found only once;
        re-folding certifies the whole reading.
        """
        from scenefold.resonator import Resonator

        roles = sorted(self.vocabulary.roles)
        keep = [s for s in slots if s.key in ("", REF_KEY) or s.key.startswith("#seq:")]
        if not roles:
            return keep
        role_book = Codebook(self.space, roles)
        fillers = self.vocabulary.items
        if len(fillers) == 0:
            return keep
        registers = sorted({s.register for s in keep} - {PARTS_REGISTER})
        # Restarts and patience let the search escape the spurious fixed points that
        # the plain atoms of a register, noise to this factorisation, create.
        resonator = Resonator(
            [role_book, fillers], shifts=(0, 1), restarts=2, seed=0
        )
        queries = np.stack(
            [self.space.bind(bits, self.vocabulary.register_vector(r)) for r in registers]
        )
        found = resonator.factor_superposition_batch(
            queries,
            _BLIND_SLOT_LIMIT,
            alpha=self.alpha / max(len(registers), 1),
            patience=8,
        )
        pairs: list[_Slot] = []
        for register, terms in zip(registers, found):
            # The sign of a bipolar product is shared by its factors: a term with
            # one flipped factor is the negated pair, not a pair.
            found_roles = {
                term.labels[0]
                for term in terms
                if term.labels[0] is not None and term.signs[0] * term.signs[1] > 0
            }
            pairs.extend(_Slot(register, role, 1, None) for role in sorted(found_roles))
        return keep + pairs

    def _slots(self, metacode: Metacode | None) -> list[_Slot]:
        if metacode is not None:
            return [
                _Slot(register, key, 0 if key == "" else 1, count)
                for register, keys in sorted(metacode.slots.items())
                for key, count in sorted(keys.items())
            ]
        vocab = self.vocabulary
        vocab.load_structure()
        keys = ["", REF_KEY] + sorted(vocab.roles) + sorted(vocab.seq_keys)
        registers = sorted(vocab.registers | {PARTS_REGISTER})
        return [
            _Slot(register, key, 0 if key == "" else 1, None)
            for register in registers
            for key in keys
            if not (register == PARTS_REGISTER and key != REF_KEY)
        ]

    def _ancestor_labels(self, name: str) -> frozenset[str]:
        """Return the row labels of ``name`` and of every scene containing it."""
        parents: dict[str, set[str]] = defaultdict(set)
        for scene_name, scene in self.vocabulary.scenes.items():
            for ref in scene.refs():
                parents[ref].add(scene_name)
        for symbol in self.vocabulary.symbols.values():
            for part in symbol.metacode.parts:
                parents[part].add(symbol.name)
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(parents.get(current, ()))
        return frozenset(SYMBOL_ROW_PREFIX + ancestor for ancestor in seen)

    def _books(self, slots: list[_Slot], typed: bool) -> list[Codebook]:
        vocab = self.vocabulary
        if not typed:
            return [vocab.items for _ in slots]
        return [vocab.slot_codebook(s.register, s.key) for s in slots]

    def _search(
        self,
        slots: list[_Slot],
        books: list[Codebook],
        queries: np.ndarray,
        excluded: frozenset[str],
        prefilter: bool = False,
        prefix_bits: int = 1024,
    ) -> list[list[tuple[str, float]]]:
        """Rank candidates for every slot, one batched search per codebook.

        With ``prefilter``, bit queries against large codebooks compare whole vectors
        only for a shortlist found on the first 1024 bits.
        """
        groups: dict[int, list[int]] = defaultdict(list)
        for i, book in enumerate(books):
            groups[id(book)].append(i)
        ranking: list[list[tuple[str, float]]] = [[] for _ in slots]
        for members in groups.values():
            book = books[members[0]]
            if len(book) == 0:
                continue
            labels = self.vocabulary.codebook_labels(book)
            wanted = max((slots[i].count or _BLIND_SLOT_LIMIT) for i in members)
            k = min(len(book), wanted + 1 + len(excluded))
            candidates = None
            if prefilter and len(book) > _PREFILTER_MIN_ROWS:
                candidates = k + _PREFILTER_EXTRA
            scores, rows = book.search(
                np.ascontiguousarray(queries[members]), k, candidates, prefix_bits
            )
            for j, i in enumerate(members):
                ranking[i] = [
                    (labels[r], round(float(v), 12))
                    for r, v in zip(rows[j].tolist(), scores[j].tolist())
                    if r >= 0 and labels[r] not in excluded
                ]
        return ranking

    def _decode(
        self,
        bits: np.ndarray,
        slots: list[_Slot],
        n_terms: int | None,
        excluded: frozenset[str] = frozenset(),
        typed: bool = True,
    ) -> tuple[dict[int, list[tuple[str, float]]], list[Found], int, list[str]]:
        """Read every slot; returns the labels chosen per slot with their scores, the
        found items, the number of passes and the reasons the reading is doubtful."""
        space = self.space
        if not slots:
            return {}, [], 1, []
        books = self._books(slots, typed)
        if all(len(book) == 0 for book in books):
            return {}, [], 1, ["the vocabulary has no candidates for these slots"]
        keys = np.stack([self.vocabulary.slot_vector(s.register, s.key) for s in slots])
        shifts = [s.shift for s in slots]
        # The false-anchor rate alpha holds for the whole symbol: Bonferroni over the
        # slots and over each slot's candidates.
        thresholds = [
            book.z_threshold(self.alpha / len(slots)) if len(book) else math.inf
            for book in books
        ]
        root = math.sqrt(space.dim)

        # First pass: the symbol's own bits.
        queries = space.bind_permuted(
            np.zeros_like(keys), space.bind(keys, bits), [-s for s in shifts]
        )
        prefilter = n_terms is not None and n_terms <= _PREFILTER_MAX_TERMS
        prefix_bits = 512 if n_terms is not None and n_terms <= _SHORT_PREFIX_MAX_TERMS else 1024
        ranking = self._search(slots, books, queries, excluded, prefilter, prefix_bits)
        chosen = self._choose(slots, ranking, thresholds, root)
        rounds = 1
        if self._refolds(slots, chosen, bits):
            return chosen, self._found(slots, chosen, ranking, root), rounds, []

        # Explaining away: reread each slot from the residual of the others.
        estimate = n_terms or max(1, sum(len(v) for v in chosen.values()))
        scale = max(_UNIT, round(_UNIT * math.sqrt(math.pi * estimate / 2.0)))
        base = space.accumulator()
        base.add(bits, scale)
        for _ in range(self.max_rounds):
            rounds += 1
            queries = self._residual_queries(base, keys, shifts, slots, chosen)
            ranking = self._search(slots, books, queries, excluded)
            updated = self._choose(slots, ranking, thresholds, root)
            if updated == chosen:
                break
            chosen = updated
            if self._refolds(slots, chosen, bits):
                break
        found = self._found(slots, chosen, ranking, root)
        if self._refolds(slots, chosen, bits):
            # Re-folding to the same bits certifies the reading, weak anchors or not.
            return chosen, found, rounds, []
        reasons = self._doubts(slots, chosen, found, thresholds)
        return chosen, found, rounds, reasons

    def _choose(
        self,
        slots: list[_Slot],
        ranking: list[list[tuple[str, float]]],
        thresholds: list[float],
        root: float,
    ) -> dict[int, list[tuple[str, float]]]:
        chosen: dict[int, list[tuple[str, float]]] = {}
        for i, slot in enumerate(slots):
            ranked = ranking[i]
            if slot.count is not None:
                picked = ranked[: slot.count]
            else:
                # A sequence position contains one item.
                limit = 1 if slot.key.startswith("#seq:") else _BLIND_SLOT_LIMIT
                picked = [(r, v) for r, v in ranked[:limit] if v * root >= thresholds[i]]
            if picked:
                chosen[i] = picked
        return chosen

    def _refolds(
        self, slots: list[_Slot], chosen: dict[int, list[tuple[str, float]]], bits
    ) -> bool:
        terms = self._terms(slots, chosen)
        if not terms:
            return False
        return bool(np.array_equal(bundle_bits(self.vocabulary, terms), bits))

    def _residual_queries(self, base, keys, shifts, slots, chosen) -> np.ndarray:
        space = self.space
        terms_by_slot = {
            i: term_vectors(self.vocabulary, self._terms(slots, {i: chosen[i]}))
            for i in chosen
        }
        full = base.copy()
        for vectors in terms_by_slot.values():
            full.subtract(vectors, _UNIT)
        queries = []
        for i in range(len(slots)):
            residual = full
            if i in terms_by_slot:
                residual = full.copy()
                residual.add(terms_by_slot[i], _UNIT)
            queries.append(space.unbind_counts(residual.counts, keys[i], [shifts[i]])[0])
        return np.ascontiguousarray(np.stack(queries), dtype=np.int32)

    def _found(self, slots, chosen, ranking, root) -> list[Found]:
        found: list[Found] = []
        for i, picked in chosen.items():
            slot = slots[i]
            # The runner-up is the best candidate the slot did not take.
            taken = {label for label, _ in picked}
            rejected = [v for label, v in ranking[i] if label not in taken]
            runner_up = rejected[0] if rejected else 0.0
            for label, score in picked:
                found.append(
                    Found(
                        slot.register,
                        slot.key,
                        self.vocabulary.row_item(label),
                        score,
                        score * root,
                        score - runner_up,
                    )
                )
        return found

    def _terms(
        self, slots: list[_Slot], chosen: dict[int, list[tuple[str, float]]]
    ) -> list[Term]:
        """Return the terms the chosen labels stand for, in slot order."""
        return [
            Term(
                slots[i].register,
                slots[i].key,
                slots[i].shift,
                self.vocabulary.row_item(label),
            )
            for i, picked in sorted(chosen.items())
            for label, _ in picked
        ]

    def _assemble(
        self, name: str, slots: list[_Slot], chosen: dict[int, list[tuple[str, float]]]
    ) -> Scene:
        """Build the scene the chosen labels stand for."""
        registers: dict[str, set[Item]] = defaultdict(set)
        sequences: dict[tuple[str, int], dict[int, Atom | Ref]] = defaultdict(dict)
        for term in self._terms(slots, chosen):
            if term.key in ("", REF_KEY):
                registers[term.register].add(term.filler)
            elif term.key.startswith("#seq:"):
                _, sequence, position = term.key.split(":")
                sequences[(term.register, int(sequence))][int(position)] = term.filler
            else:
                registers[term.register].add(Bind(term.key, term.filler))
        for (register, _), positions in sorted(sequences.items()):
            ordered = [positions[p] for p in sorted(positions)]
            registers[register].add(Seq(tuple(ordered)))
        return Scene(name, {k: frozenset(v) for k, v in registers.items()})

    def _doubts(self, slots, chosen, found, thresholds) -> list[str]:
        reasons = []
        index = {(s.register, s.key): i for i, s in enumerate(slots)}
        for f in found:
            threshold = thresholds[index[(f.register, f.key)]]
            if f.z < threshold:
                reasons.append(
                    f"slot {f.register}:{f.key or '(plain)'}: best candidate {f.label!r} "
                    f"has z={f.z:.1f}, below the anchor threshold {threshold:.1f}; the "
                    "item may be a label this vocabulary does not know"
                )
        for i, slot in enumerate(slots):
            if slot.count is not None and len(chosen.get(i, ())) < slot.count:
                reasons.append(
                    f"slot {slot.register}:{slot.key or '(plain)'}: found "
                    f"{len(chosen.get(i, ()))} of {slot.count} items"
                )
        return reasons


def _only_register(unfolding: Unfolding, register: str) -> Unfolding:
    """Return a copy of an unfolding restricted to one register."""
    items = unfolding.scene.registers.get(register, frozenset())
    scene = Scene(unfolding.scene.name, {register: items} if items else {})
    found = [f for f in unfolding.found if f.register == register]
    children = {k: v for k, v in unfolding.children.items() if k in scene.refs()}
    return Unfolding(
        unfolding.name,
        scene,
        found,
        unfolding.exact,
        list(unfolding.reasons),
        children,
        unfolding.rounds,
        unfolding.metacode,
    )
