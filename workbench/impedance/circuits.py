"""Equivalent-circuit strings (impedance.py syntax): parsing, impedance and Jacobian.

Grammar (whitespace is ignored)::

    series   := term ('-' term)*
    term     := 'p(' series (',' series)+ ')' | element
    element  := SYMBOL SUFFIX        e.g. R0, CPE1, Wo2
    SYMBOL   := R | C | L | CPE | W | Wo | Ws
    SUFFIX   := [0-9_]*

``Circuit("R0-L0-p(R1,CPE1)-p(R2,CPE2)")`` parses once and keeps an evaluation
plan; ``impedance`` and ``jacobian`` are vectorised over frequency.  The
Jacobian is analytic: element derivatives are propagated through series sums
(dZ/dZ_i = 1) and parallel blocks (dZ/dZ_i = (Z / Z_i)^2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .elements import ELEMENT_KINDS, EXPONENT, ElementKind, FrequencyGrid, grid_for

_SYMBOL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: parallel blocks nested deeper than this are refused (no equivalent circuit needs more; the parser and
#: the evaluation recurse once per level)
MAX_NESTING = 32
_SUFFIX_CHARS = "0123456789_"


class CircuitError(ValueError):
    """A circuit string is malformed, or parameters do not match the circuit."""


@dataclass(frozen=True)
class Element:
    name: str
    kind: ElementKind
    first_param: int
    position: int

    @property
    def parameter_names(self) -> list[str]:
        return self.kind.parameter_names(self.name)


@dataclass(frozen=True)
class Series:
    children: tuple


@dataclass(frozen=True)
class Parallel:
    children: tuple


@dataclass(frozen=True)
class Arc:
    """A parallel block made of one resistor and one CPE (or capacitor)."""

    resistor: str
    r_name: str
    capacitive: str
    q_name: str
    n_name: str | None  # None for an ideal capacitor (n = 1, Q = C)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.elements: list[Element] = []
        self.n_params = 0
        self.depth = 0

    def error(self, what: str, pos: int | None = None) -> CircuitError:
        pos = self.pos if pos is None else pos
        found = repr(self.text[pos]) if pos < len(self.text) else "end of string"
        start = max(0, pos - 40)
        shown = self.text[start:pos + 40]
        lead = "..." if start else ""
        tail = "..." if pos + 40 < len(self.text) else ""
        return CircuitError(
            f"{what} at position {pos}, found {found}:\n    {lead}{shown}{tail}\n    {' ' * (len(lead) + pos - start)}^"
        )

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self):
        if not isinstance(self.text, str):
            raise CircuitError(f"a circuit must be a string, got {type(self.text).__name__}")
        node = self.series()
        if self.peek():
            raise self.error("expected '-' or end of circuit")
        return node

    def series(self):
        terms = [self.term()]
        while self.peek() == "-":
            self.pos += 1
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else Series(tuple(terms))

    def term(self):
        ch = self.peek()
        if ch == "p":
            after = self.pos + 1
            while after < len(self.text) and self.text[after].isspace():
                after += 1
            if after < len(self.text) and self.text[after] == "(":
                if self.depth >= MAX_NESTING:
                    raise self.error(f"parallel blocks nested more than {MAX_NESTING} deep", self.pos)
                self.pos = after + 1
                self.depth += 1
                node = self.parallel()
                self.depth -= 1
                return node
        if ch and ch in _SYMBOL_CHARS:
            return self.element()
        raise self.error("expected an element (R, C, L, CPE, W, Wo, Ws) or 'p('")

    def parallel(self):
        branches = [self.series()]
        while self.peek() == ",":
            self.pos += 1
            branches.append(self.series())
        if self.peek() != ")":
            raise self.error("expected ',' or ')' in parallel block")
        if len(branches) < 2:
            raise self.error("a parallel block needs at least two branches, expected ','")
        self.pos += 1
        return Parallel(tuple(branches))

    def element(self):
        start = self.pos
        end = start
        while end < len(self.text) and self.text[end] in _SYMBOL_CHARS:
            end += 1
        symbol = self.text[start:end]
        if symbol not in ELEMENT_KINDS:
            known = ", ".join(ELEMENT_KINDS)
            raise self.error(f"unknown element type {symbol!r} (known: {known})", start)
        while end < len(self.text) and self.text[end] in _SUFFIX_CHARS:
            end += 1
        name = self.text[start:end]
        if any(e.name == name for e in self.elements):
            raise self.error(f"duplicate element name {name!r}", start)
        kind = ELEMENT_KINDS[symbol]
        element = Element(name, kind, self.n_params, start)
        self.elements.append(element)
        self.n_params += kind.n_params
        self.pos = end
        return element


def _element_values(node: Element, p: np.ndarray):
    return p[node.first_param:node.first_param + node.kind.n_params]


def _evaluate(node, grid: FrequencyGrid, p: np.ndarray, want_jac: bool):
    """Return (Z, [(param_index, dZ/dp), ...]) for a node of the plan (scalars allowed).

    Series: Z = sum Z_i.  Parallel: Y = sum Y_i, Z = 1/Y, dZ = -Z^2 dY, with
    dY_i = -Y_i^2 dZ_i for branches that are not simple elements.
    """
    if isinstance(node, Element):
        values = _element_values(node, p)
        z = node.kind.impedance(grid, values)
        if not want_jac:
            return z, []
        derivs = node.kind.derivatives(grid, values, z)
        return z, [(node.first_param + i, d) for i, d in enumerate(derivs)]
    if isinstance(node, Series):
        z, pairs = _evaluate(node.children[0], grid, p, want_jac)
        for child in node.children[1:]:
            zi, more = _evaluate(child, grid, p, want_jac)
            z = z + zi
            pairs = pairs + more
        return z, pairs
    y_total = 0.0
    dy_pairs = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for child in node.children:
            if isinstance(child, Element) and child.kind.admittance is not None:
                y, dys = child.kind.admittance(grid, _element_values(child, p))
                if want_jac:
                    dy_pairs.extend((child.first_param + i, d) for i, d in enumerate(dys))
            else:
                zi, pairs = _evaluate(child, grid, p, want_jac)
                y = 1.0 / zi
                if want_jac:
                    minus_y2 = -(y * y)
                    dy_pairs.extend((i, minus_y2 * d) for i, d in pairs)
            y_total = y_total + y
        z = 1.0 / y_total
        if not want_jac:
            return z, []
        minus_z2 = -(z * z)
    return z, [(i, minus_z2 * d) for i, d in dy_pairs]


class Circuit:
    """A parsed equivalent circuit in impedance.py notation."""

    def __init__(self, text: str):
        parser = _Parser(text)
        self.root = parser.parse()
        self.text = text
        self.elements: tuple[Element, ...] = tuple(parser.elements)
        names: list[str] = []
        kinds: list[str] = []
        for element in self.elements:
            names.extend(element.parameter_names)
            kinds.extend(element.kind.parameter_kinds)
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise CircuitError(f"duplicate parameter names {dup} in circuit {text!r}")
        self.parameter_names: list[str] = names
        self.parameter_kinds: list[str] = kinds
        units: list[str] = []
        for element in self.elements:
            units.extend(element.kind.units)
        self.parameter_units: list[str] = units

    def __repr__(self) -> str:
        return f"Circuit({self.text!r})"

    def __str__(self) -> str:
        return self.text

    @property
    def n_params(self) -> int:
        return len(self.parameter_names)

    def is_exponent(self, name: str) -> bool:
        return self.parameter_kinds[self.parameter_names.index(name)] == EXPONENT

    def parameter_vector(self, params) -> np.ndarray:
        """Parameters as a float vector in ``parameter_names`` order (from a sequence or dict)."""
        if isinstance(params, Mapping):
            missing = [n for n in self.parameter_names if n not in params]
            extra = [n for n in params if n not in self.parameter_names]
            if missing or extra:
                raise CircuitError(f"parameters do not match {self.text!r}: missing {missing}, "
                                   f"unknown {extra}")
            return np.array([float(params[n]) for n in self.parameter_names])
        vector = np.asarray(params, dtype=float).ravel()
        if vector.size != self.n_params:
            raise CircuitError(f"{self.text!r} has {self.n_params} parameters "
                               f"{self.parameter_names}, got {vector.size} values")
        return vector

    def grid(self, frequency_hz) -> FrequencyGrid:
        """The (cached) FrequencyGrid for these frequencies."""
        return grid_for(frequency_hz)

    def evaluate_transposed(self, grid: FrequencyGrid, p: np.ndarray, want_jac: bool = True):
        """Fast path for fitting: Z (n_freq,) and dZ/dp as (n_params, n_freq), p a float vector."""
        z, pairs = _evaluate(self.root, grid, p, want_jac)
        n = len(grid)
        if np.ndim(z) == 0 or z.dtype != complex:
            z = np.broadcast_to(z, (n,)).astype(complex)
        if not want_jac:
            return z, None
        jac_t = np.empty((self.n_params, n), dtype=complex)
        for i, d in pairs:
            jac_t[i] = d
        return z, jac_t

    def evaluate(self, frequency_hz, params, want_jac: bool = True):
        """(Z, J): impedance (n_freq,) and complex Jacobian (n_freq, n_params) or None."""
        z, jac_t = self.evaluate_transposed(self.grid(frequency_hz), self.parameter_vector(params), want_jac)
        return z, (None if jac_t is None else jac_t.T)

    def impedance(self, frequency_hz, params) -> np.ndarray:
        """Complex impedance in Ohm at each frequency."""
        return self.evaluate(frequency_hz, params, want_jac=False)[0]

    def jacobian(self, frequency_hz, params) -> np.ndarray:
        """Analytic dZ/dp, complex array of shape (n_freq, n_params)."""
        return self.evaluate(frequency_hz, params, want_jac=True)[1]

    def arcs(self) -> list[Arc]:
        """R|CPE (and R|C) parallel blocks, in the order they appear in the string."""
        return find_arcs(self)


def _parallel_blocks(node):
    if isinstance(node, Parallel):
        yield node
    if isinstance(node, (Series, Parallel)):
        for child in node.children:
            yield from _parallel_blocks(child)


def find_arcs(circuit: Circuit | str) -> list[Arc]:
    """List the parallel blocks that are exactly one R in parallel with one CPE or C."""
    if isinstance(circuit, str):
        circuit = Circuit(circuit)
    arcs = []
    for block in _parallel_blocks(circuit.root):
        if len(block.children) != 2 or not all(isinstance(c, Element) for c in block.children):
            continue
        by_symbol = {c.kind.symbol: c for c in block.children}
        resistor = by_symbol.get("R")
        if resistor is None:
            continue
        if "CPE" in by_symbol:
            q_name, n_name = by_symbol["CPE"].parameter_names
            arcs.append(Arc(resistor.name, resistor.name, by_symbol["CPE"].name, q_name, n_name))
        elif "C" in by_symbol:
            arcs.append(Arc(resistor.name, resistor.name, by_symbol["C"].name, by_symbol["C"].name, None))
    return arcs


def as_circuit(circuit: Circuit | str) -> Circuit:
    return circuit if isinstance(circuit, Circuit) else Circuit(circuit)


def values_dict(circuit: Circuit, vector: Sequence[float]) -> dict[str, float]:
    return {name: float(v) for name, v in zip(circuit.parameter_names, vector, strict=True)}
