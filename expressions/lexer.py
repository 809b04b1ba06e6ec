"""Tokens of the alpha language (both dialects); a hand-written scanner, no regex rewriting.

Token kinds: ``number`` (``5``, ``2.``, ``.001``, ``1e-3``), ``string`` (``"0,1,0.1"`` or single
quotes), ``name`` (``ts_mean``, ``IndClass.sector``: dots join identifier parts), ``field``
(``$close``, Qlib), ``op`` (punctuation, longest match first) and ``end``.
"""

from __future__ import annotations

import dataclasses

from expressions.errors import ParseError

# Longest first so that '<=' wins over '<' and '**' over '*'.
SYMBOLS = (
    "**", "<=", ">=", "==", "!=", "&&", "||",
    "(", ")", ",", "?", ":", "+", "-", "*", "/", "^", "<", ">", "!", "&", "|", "=",
)


@dataclasses.dataclass(frozen=True)
class Token:
    """One token: its kind, its source text and its 0-based position."""

    kind: str
    text: str
    position: int

    @property
    def is_integer_literal(self) -> bool:
        """A number written without a fraction or exponent (``5``, not ``5.0`` or ``5e0``)."""
        return self.kind == "number" and self.text.isdigit()


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token.

    Raises
    ------
    ParseError
        On a character that starts no token, or an unterminated string.
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char.isdigit() or (char == "." and pos + 1 < len(text) and text[pos + 1].isdigit()):
            pos = _scan_number(text, pos, tokens)
        elif char.isalpha() or char == "_":
            pos = _scan_name(text, pos, tokens)
        elif char == "$":
            pos = _scan_field(text, pos, tokens)
        elif char in "\"'":
            pos = _scan_string(text, pos, tokens)
        else:
            pos = _scan_symbol(text, pos, tokens)
    tokens.append(Token("end", "", len(text)))
    return tokens


def _scan_number(text: str, start: int, tokens: list[Token]) -> int:
    pos = _skip_digits(text, start)
    if pos < len(text) and text[pos] == ".":
        pos = _skip_digits(text, pos + 1)
    if pos < len(text) and text[pos] in "eE":
        exponent = pos + 1
        if exponent < len(text) and text[exponent] in "+-":
            exponent += 1
        if exponent < len(text) and text[exponent].isdigit():
            pos = _skip_digits(text, exponent)
    if pos < len(text) and (text[pos].isalpha() or text[pos] == "_"):
        raise ParseError(f"malformed number {text[start:pos + 1]!r}", text, start)
    tokens.append(Token("number", text[start:pos], start))
    return pos


def _skip_digits(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isdigit():
        pos += 1
    return pos


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _scan_name(text: str, start: int, tokens: list[Token]) -> int:
    pos = start
    while pos < len(text) and _is_name_char(text[pos]):
        pos += 1
        # 'IndClass.sector': a dot followed by a letter continues the name.
        if pos + 1 < len(text) and text[pos] == "." and (text[pos + 1].isalpha() or text[pos + 1] == "_"):
            pos += 1
    tokens.append(Token("name", text[start:pos], start))
    return pos


def _scan_field(text: str, start: int, tokens: list[Token]) -> int:
    pos = start + 1
    while pos < len(text) and _is_name_char(text[pos]):
        pos += 1
    if pos == start + 1:
        raise ParseError("'$' must be followed by a field name", text, start)
    tokens.append(Token("field", text[start + 1 : pos], start))
    return pos


def _scan_string(text: str, start: int, tokens: list[Token]) -> int:
    quote = text[start]
    end = text.find(quote, start + 1)
    if end < 0:
        raise ParseError("unterminated string literal", text, start)
    tokens.append(Token("string", text[start + 1 : end], start))
    return end + 1


def _scan_symbol(text: str, start: int, tokens: list[Token]) -> int:
    for symbol in SYMBOLS:
        if text.startswith(symbol, start):
            tokens.append(Token("op", symbol, start))
            return start + len(symbol)
    raise ParseError(f"unexpected character {text[start]!r}", text, start)


__all__ = ["Token", "tokenize"]
