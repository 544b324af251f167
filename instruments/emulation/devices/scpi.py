"""A small SCPI command-tree parser for emulated instruments (IEEE 488.2 / SCPI-99 syntax).

Commands are declared in the manuals' own notation, e.g. ``[:SOURce[1]]:CURRent[:LEVel][:IMMediate]
[:AMPLitude]``: upper-case letters are the short form, the whole word the long form, brackets mark
optional nodes and an optional numeric suffix. A header matches when each of its nodes is the short or
the long form of the next declared node (any case), optional nodes may be left out, and a trailing ``?``
makes it a query. Compound messages are split on ``;``; a header that does not start with ``:`` or
``*`` continues in the subsystem of the previous one (SCPI-99 6.2.4). Errors go to an error queue,
read with ``:SYSTem:ERRor?`` (``-113,"Undefined header"`` and friends).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

_NODE = re.compile(r"(\[)?:?([A-Za-z*]+)(\[1\]|1)?\]?")


@dataclass(frozen=True)
class Node:
    short: str
    long: str
    optional: bool
    suffix_ok: bool

    def matches(self, token: str) -> bool:
        t = token.upper()
        if self.suffix_ok and t.endswith("1"):
            t = t[:-1]
        return t == self.short or t == self.long


def compile_pattern(pattern: str) -> tuple[Node, ...]:
    """``"[:SOURce[1]]:CURRent[:LEVel]"`` -> nodes (short, long, optional, numeric suffix)."""
    nodes = []
    for part in re.findall(r"\[?:[A-Za-z*]+(?:\[1\])?\]?|\[?[A-Za-z*]+(?:\[1\])?\]?", pattern):
        optional = part.startswith("[")
        word = part.strip("[]:")
        suffix = word.endswith("[1") or part.endswith("[1]]") or part.endswith("[1]")
        word = word.replace("[1", "").replace("]", "")
        short = "".join(c for c in word if c.isupper() or c == "*")
        nodes.append(Node(short, word.upper(), optional, suffix))
    return tuple(nodes)


def _match(nodes: tuple[Node, ...], tokens: list[str]) -> bool:
    if not tokens:
        return all(n.optional for n in nodes)
    if not nodes:
        return False
    first = nodes[0]
    if first.matches(tokens[0]) and _match(nodes[1:], tokens[1:]):
        return True
    return first.optional and _match(nodes[1:], tokens)


class ScpiError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"{code},\"{message}\"")
        self.code = code
        self.message = message


Handler = Callable[[list[str], bool], "str | None"]


class ScpiParser:
    """Dispatches SCPI program messages to handlers ``handler(arguments, is_query) -> reply or None``."""

    def __init__(self) -> None:
        self._commands: list[tuple[tuple[Node, ...], Handler, bool, bool]] = []
        self.errors: deque[tuple[int, str]] = deque(maxlen=10)
        self._cache: dict[tuple[str, ...], tuple | None] = {}

    def add(self, pattern: str, handler: Handler, *, query: bool = True, command: bool = True) -> None:
        self._commands.append((compile_pattern(pattern), handler, query, command))
        self._cache.clear()

    def push_error(self, code: int, message: str) -> None:
        if len(self.errors) == self.errors.maxlen:
            self.errors[-1] = (-350, "Queue overflow")
        else:
            self.errors.append((code, message))

    def next_error(self) -> str:
        code, message = self.errors.popleft() if self.errors else (0, "No error")
        return f"{code:+d},\"{message}\"" if code else "0,\"No error\""

    def execute(self, message: str) -> list[str]:
        """Run one program message; return the replies of its queries in order."""
        replies: list[str] = []
        path: list[str] = []
        for unit in _split_units(message):
            unit = unit.strip()
            if not unit:
                continue
            header, _, arg_text = unit.partition(" ")
            is_query = header.endswith("?")
            header = header.rstrip("?")
            if header.startswith("*"):
                tokens = [header]
            elif header.startswith(":"):
                tokens = [t for t in header[1:].split(":")]
            else:
                tokens = path + header.split(":")
            if any(t == "" for t in tokens):
                self.push_error(-102, "Syntax error")
                continue
            if not header.startswith("*"):
                path = tokens[:-1]
            args = _split_args(arg_text)
            try:
                reply = self._dispatch(tokens, args, is_query)
            except ScpiError as exc:
                self.push_error(exc.code, exc.message)
                continue
            if reply is not None:
                replies.append(reply)
        return replies

    def _dispatch(self, tokens: list[str], args: list[str], is_query: bool):
        key = tuple(t.upper() for t in tokens)
        if key not in self._cache:   # headers repeat: match each spelling against the tree once
            self._cache[key] = next(((h, q, c) for nodes, h, q, c in self._commands if _match(nodes, tokens)),
                                    None)
        found = self._cache[key]
        if found is None:
            raise ScpiError(-113, "Undefined header")
        handler, query_ok, command_ok = found
        if (is_query and not query_ok) or (not is_query and not command_ok):
            raise ScpiError(-113, "Undefined header")
        return handler(args, is_query)


def _split_units(message: str) -> list[str]:
    units, current, quote = [], [], None
    for ch in message:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == ";":
            units.append("".join(current))
            current = []
        else:
            current.append(ch)
    units.append("".join(current))
    return units


def _split_args(text: str) -> list[str]:
    text = text.strip()
    return [a.strip() for a in text.split(",")] if text else []


# --- argument helpers ---------------------------------------------------------------------------
def number(args: list[str], *, minimum: float, maximum: float, default: float) -> float:
    if not args:
        raise ScpiError(-109, "Missing parameter")
    word = args[0].upper()
    if word in ("MIN", "MINIMUM"):
        return minimum
    if word in ("MAX", "MAXIMUM"):
        return maximum
    if word in ("DEF", "DEFAULT"):
        return default
    try:
        value = float(args[0])
    except ValueError:
        raise ScpiError(-104, "Data type error") from None
    if not minimum <= value <= maximum:
        raise ScpiError(-222, "Data out of range")
    return value


def boolean(args: list[str]) -> bool:
    if not args:
        raise ScpiError(-109, "Missing parameter")
    word = args[0].upper()
    if word in ("ON", "1"):
        return True
    if word in ("OFF", "0"):
        return False
    raise ScpiError(-224, "Illegal parameter value")


def choice(args: list[str], options: dict[str, str]) -> str:
    """``options`` maps every accepted spelling (upper case, unquoted) to its canonical value."""
    if not args:
        raise ScpiError(-109, "Missing parameter")
    word = args[0].strip("'\"").upper()
    if word not in options:
        raise ScpiError(-224, "Illegal parameter value")
    return options[word]
