"""The prompt: what the model needs to propose alphas, within a size budget.

Sections, in order of priority (later ones are shortened first when over ``max_chars``):

1. the task and the reply format (JSON matching :data:`IDEAS_SCHEMA`);
2. the data fields (a list, or name -> description; the first ``max_fields``, in the order given)
   and groups;
3. the operators, DERIVED from ``expressions.registry`` (BRAIN dialect), one compact line per
   category, argument kinds abbreviated (x series, d window, c scalar, g group, b boolean);
4. the diversity goal: low correlation with the hall of fame;
5. the best alphas so far with their in-sample figures;
6. recent failures and their errors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from expressions.registry import CATEGORIES, OpSpec, operators
from expressions.types import Bool, Group, Scalar, Series, Text, Window

IDEAS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ideas": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"expression": {"type": "string"}, "rationale": {"type": "string"}},
                "required": ["expression", "rationale"],
            },
        }
    },
    "required": ["ideas"],
}

_ARG_LETTERS = {Series: "x", Bool: "b", Window: "d", Scalar: "c", Group: "g", Text: "s"}
_FIGURES = ("sharpe", "fitness", "returns", "turnover")


@dataclasses.dataclass
class IdeaContext:
    """What the miner tells the LLM source before each request.

    Attributes
    ----------
    fields : data field names, or name -> one-line description.
    groups : group names usable in group operators (``sector``, ...).
    best : best alphas so far: mappings with ``expression`` and in-sample figures
        (``sharpe``, ``fitness``, ``returns``, ``turnover``).
    failures : recent failures: mappings with ``expression`` and ``error``.
    known_hashes : canonical hashes already tried (ideas repeating them are dropped).
    n_ideas : how many ideas to ask for.
    max_correlation : the diversity goal stated in the prompt.
    max_fields : the prompt lists the first ``max_fields`` fields (the miner passes them most
        wanted first); the rest are only counted.
    """

    fields: Sequence[str] | Mapping[str, str]
    groups: Sequence[str] = ()
    best: Sequence[Mapping[str, Any]] = ()
    failures: Sequence[Mapping[str, Any]] = ()
    known_hashes: Collection[str] = frozenset()
    n_ideas: int = 8
    max_correlation: float = 0.7
    max_fields: int = 60

    @classmethod
    def coerce(cls, value: Any, **defaults: Any) -> IdeaContext:
        """An IdeaContext from itself, a mapping or any object with the same attribute names;
        ``defaults`` fill the attributes that ``value`` does not have."""
        if isinstance(value, cls):
            return value
        names = [f.name for f in dataclasses.fields(cls)]
        if isinstance(value, Mapping):
            given = {n: value[n] for n in names if n in value}
        else:
            given = {n: getattr(value, n) for n in names if hasattr(value, n)}
        return cls(**{**defaults, **given})


def operator_lines() -> list[str]:
    """One line per category: ``time_series: ts_mean(x, d), ts_rank(x, d), ...`` (BRAIN dialect)."""
    by_category: dict[str, list[str]] = {}
    for spec in operators():
        if spec.dialect == "brain":
            by_category.setdefault(spec.category, []).append(_compact(spec))
    return [f"{category}: {', '.join(by_category[category])}" for category in CATEGORIES if category in by_category]


def build_messages(context: IdeaContext, *, max_chars: int = 12_000) -> list[dict[str, str]]:
    """The chat messages (system + user) for one request, at most about ``max_chars`` characters."""
    best, failures = list(context.best), list(context.failures)
    while True:
        user = _user_text(context, best, failures)
        if len(SYSTEM) + len(user) <= max_chars or not (best or failures):
            break
        if failures:
            failures.pop()
        else:
            best.pop()
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user[: max(0, max_chars - len(SYSTEM))]}]


SYSTEM = (
    "You invent formulaic stock alphas for a WorldQuant-BRAIN-style simulator. An alpha is one "
    "expression evaluated every day on every stock; positions are proportional to its values "
    "(after neutralization), held for one day. Use ONLY the listed data fields and operators. "
    "Answer with JSON only: {\"ideas\": [{\"expression\": \"...\", \"rationale\": \"one sentence\"}]}."
)


def _user_text(context: IdeaContext, best: list[Mapping[str, Any]], failures: list[Mapping[str, Any]]) -> str:
    parts = [_fields_section(context), "Operators (x series, d window in days (integer), c number, "
             "g group, b boolean; name=default is an optional keyword):", *operator_lines(),
             "Syntax: infix + - * / ^, comparisons < <= == != > >=, && || !, c ? a : b, unary minus.",
             f"Goal: {context.n_ideas} new, diverse ideas whose daily PnL has correlation below "
             f"{context.max_correlation:g} with the best alphas below; vary the data and the horizon, "
             "do not just rescale or re-window them."]
    if best:
        parts.append("Best alphas so far (in-sample):")
        parts += [f"- {item.get('expression', '?')}  {_figures(item)}" for item in best]
    if failures:
        parts.append("Recent failures (do not repeat):")
        parts += [f"- {item.get('expression', '?')}  -> {item.get('error', 'poor result')}" for item in failures]
    parts.append(f"Reply with exactly {context.n_ideas} ideas as JSON.")
    return "\n".join(parts)


def _fields_section(context: IdeaContext) -> str:
    names = list(context.fields)
    shown, hidden = names[: context.max_fields], len(names) - min(len(names), context.max_fields)
    if isinstance(context.fields, Mapping):
        fields = "\n".join(f"- {name}: {context.fields[name]}" if context.fields[name] else f"- {name}"
                           for name in shown)
        text = f"Data fields:\n{fields}"
    else:
        text = f"Data fields: {', '.join(shown)}"
    if hidden:
        text += f"\n(and {hidden} more fields, less useful so far)"
    if context.groups:
        text += f"\nGroups (for group_* operators): {', '.join(context.groups)}"
    return text


def _figures(item: Mapping[str, Any]) -> str:
    shown = []
    for name in _FIGURES:
        value = item.get(name)
        if isinstance(value, (int, float)):
            shown.append(f"{name} {value:.2f}")
    return ", ".join(shown)


def _compact(spec: OpSpec) -> str:
    args = [_ARG_LETTERS.get(tp, "x") for tp in spec.args]
    if len(set(args)) < len(args):  # several of one kind: x, y / d, d2 for readability
        args = _distinguish(args)
    args += [f"{p.name}={p.default!r}" if isinstance(p.default, str) else f"{p.name}={p.default:g}"
             for p in spec.params]
    return f"{spec.name}({', '.join(args)})"


def _distinguish(letters: list[str]) -> list[str]:
    """Repeated kinds get distinct names: series x, y, z, ...; others d, d2, ..."""
    series_names = iter("xyzuvw")
    seen: dict[str, int] = {}
    out = []
    for letter in letters:
        seen[letter] = seen.get(letter, 0) + 1
        if letter == "x":
            out.append(next(series_names, f"x{seen[letter]}"))
        else:
            out.append(letter if seen[letter] == 1 else f"{letter}{seen[letter]}")
    return out
