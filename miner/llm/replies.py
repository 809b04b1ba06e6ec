"""Reading a model's reply: ideas out, everything else counted.

1. Drop ``<think>...</think>`` blocks (an unclosed one runs to the end of the text).
2. Read JSON (``{"ideas": [{"expression", "rationale"}]}``, a bare list, or such an object inside
   prose or a code fence); failing that, one expression per line, with numbering, bullets,
   backticks and a trailing `` -- rationale`` stripped, and header lines (ending in ':') skipped.
3. Parse and type-check each expression with ``expressions.parse`` (the only way in; nothing is
   ever evaluated as code). Failures are counted with their error.
4. Drop duplicates by canonical hash, within the reply and against ``known_hashes``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection, Iterable
from typing import Any

from expressions import ExpressionError, canonical, expr_hash, parse

MAX_EXPRESSION_CHARS = 1_000

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z]*\n?|```")
# A bullet or a number needs the space after it: "-1 * x" and "1.5 * x" are expressions.
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.):]|\(\d+\)|[a-z]\))\s+")
_PREFIX = re.compile(r"^(?:expression|alpha|idea)\s*\d*\s*[:=]\s*", re.IGNORECASE)
_RATIONALE_SPLIT = re.compile(r"\s+(?:--|\u2014|\u2013|#|//)\s+")


@dataclasses.dataclass(frozen=True)
class Idea:
    """A valid, new idea: canonical expression text, its hash, and the model's rationale."""

    expression: str
    hash: str
    rationale: str = ""


@dataclasses.dataclass
class ParsedReply:
    """Everything read from one reply."""

    ideas: list[Idea] = dataclasses.field(default_factory=list)
    n_invalid: int = 0
    n_duplicate: int = 0
    invalid: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (text, error)

    @property
    def n_valid(self) -> int:
        return len(self.ideas)


def strip_thinking(text: str) -> str:
    """The reply without ``<think>`` blocks."""
    return _THINK.sub("", text).replace("</think>", "")


def candidates(text: str) -> list[tuple[str, str]]:
    """(expression text, rationale) pairs proposed in a reply, before any checking."""
    body = strip_thinking(text).strip()
    from_json = _from_json(body)
    return from_json if from_json is not None else _from_lines(body)


def read_reply(text: str, *, fields: Collection[str] | None = None, groups: Collection[str] | None = None,
               known_hashes: Collection[str] = frozenset()) -> ParsedReply:
    """Valid new ideas of a reply, with invalid and duplicate counts (see the module docstring)."""
    parsed = ParsedReply()
    seen: set[str] = set()
    for expression, rationale in candidates(text):
        try:
            node = _parse(expression, fields, groups)
        except ExpressionError as error:
            parsed.n_invalid += 1
            parsed.invalid.append((expression, str(error)))
            continue
        digest = expr_hash(node)
        if digest in seen or digest in known_hashes:
            parsed.n_duplicate += 1
            continue
        seen.add(digest)
        parsed.ideas.append(Idea(canonical(node), digest, rationale))
    return parsed


def _parse(expression: str, fields: Collection[str] | None, groups: Collection[str] | None) -> Any:
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        return parse(expression, fields=fields, groups=groups)
    except RecursionError:
        raise ExpressionError("expression nested too deeply") from None


def _from_json(body: str) -> list[tuple[str, str]] | None:
    unfenced = _FENCE.sub("", body).strip()
    for start, end in (("{", "}"), ("[", "]")):
        first, last = unfenced.find(start), unfenced.rfind(end)
        if first == -1 or last <= first:
            continue
        try:
            data = json.loads(unfenced[first: last + 1])
        except ValueError:
            continue
        items = data.get("ideas", data.get("alphas")) if isinstance(data, dict) else data
        if isinstance(items, list):
            return list(_json_items(items))
    return None


def _json_items(items: Iterable[Any]) -> Iterable[tuple[str, str]]:
    for item in items:
        if isinstance(item, str):
            yield item.strip(), ""
        elif isinstance(item, dict):
            expression = item.get("expression", item.get("alpha", ""))
            rationale = item.get("rationale", item.get("reason", ""))
            yield str(expression).strip(), str(rationale).strip()
        else:
            yield json.dumps(item), ""


def _from_lines(body: str) -> list[tuple[str, str]]:
    found = []
    for raw in _FENCE.sub("\n", body).splitlines():
        line = _PREFIX.sub("", _BULLET.sub("", raw.strip()))
        if not line or line.endswith(":"):
            continue
        quoted = re.search(r"`([^`]+)`", line)
        if quoted:
            rest = (line[: quoted.start()] + line[quoted.end():]).strip(" -:\u2014\u2013")
            found.append((quoted.group(1).strip(), rest))
            continue
        parts = _RATIONALE_SPLIT.split(line, maxsplit=1)
        found.append((parts[0].strip(), parts[1].strip() if len(parts) == 2 else ""))
    return found
