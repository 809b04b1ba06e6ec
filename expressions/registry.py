"""The operator registry: every operator is declared exactly once, here or in ``ops/``.

A declaration is a plain function decorated with :func:`operator`::

    @operator(args=(Series, Window), returns=Series, category="time_series",
              aliases=("mean",), lookback=window_lookback, reference=reference.ts_mean)
    def ts_mean(x, window):
        \"\"\"Rolling mean of x over the last `window` days; NaN until `window` non-NaN values.\"\"\"
        return kernels.timeseries.ts_mean_2d(x, window)

The parser, the type checker, canonical printing, ``alphaminer operators``, the DEAP primitive
set and the LLM prompt all read ``REGISTRY``; nothing lists operators by hand.

Calling convention: the evaluator calls ``spec.fn(*positional, **keyword)`` with runtime values
(see ``expressions.types``). A function must not modify its inputs (they may be cached,
read-only arrays) and returns a new float64 [T, N] array (or an int array for ``Group``).
Cross-sectional and group operators (``pasteurize=True``) receive series already masked to the
universe by the evaluator.

Run ``python -m expressions.registry --markdown`` to print the operator reference.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any

from expressions.errors import RegistryError
from expressions.types import Scalar, Series, Type, Window, type_name

_NO_DEFAULT = object()

CATEGORIES = ("arithmetic", "logical", "time_series", "cross_sectional", "group", "qlib")


@dataclasses.dataclass(frozen=True)
class Param:
    """An optional keyword argument (``winsorize(x, std=4)``)."""

    name: str
    type: type
    default: Any

    def __str__(self) -> str:
        return f"{self.name}={self.default!r}"


def no_lookback(*_args: Any) -> int:
    return 0


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """Everything known about one operator.

    Attributes
    ----------
    name : canonical (printed) name, lower case for BRAIN operators.
    args : types of the positional arguments (arity = len(args)).
    returns : result type.
    fn : the implementation, called with runtime values.
    doc : one line.
    category : one of CATEGORIES.
    aliases : other names accepted by the parser (Alpha101 spellings, ...).
    params : optional keyword arguments with defaults.
    dialect : "brain" or "qlib"; qlib operators are reachable from the Qlib dialect by their
        Qlib name (``qlib_name``) and from canonical text by ``name``.
    qlib_name : the operator's name in Qlib's expression syntax, if it has one.
    lookback : function of the Window argument values -> extra history rows needed.
    commutative : whether positional arguments may be reordered by canonical printing.
    pasteurize : whether Series arguments are masked to the universe before the call.
    nan_rule : one line on NaN handling.
    cost : relative cost hint (1 = one elementwise pass).
    reference : slow, obvious twin used by the tests (or None for trivial numpy ops).
    """

    name: str
    args: tuple[type, ...]
    returns: type
    fn: Callable[..., Any]
    doc: str
    category: str
    aliases: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    dialect: str = "brain"
    qlib_name: str | None = None
    lookback: Callable[..., int] = no_lookback
    commutative: bool = False
    pasteurize: bool = False
    nan_rule: str = "NaN in, NaN out"
    cost: float = 1.0
    reference: Callable[..., Any] | None = None

    @property
    def arity(self) -> int:
        return len(self.args)

    @functools.cached_property
    def takes_member(self) -> bool:
        """Whether ``fn`` takes the universe as a keyword-only ``member``: a pasteurizing
        operator then masks while it reads, sparing a masked [T, N] copy of each argument."""
        parameter = inspect.signature(self.fn).parameters.get("member")
        return parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY

    def signature(self) -> str:
        names = [type_name(t) for t in self.args]
        names += [str(p) for p in self.params]
        return f"{self.name}({', '.join(names)}) -> {type_name(self.returns)}"


REGISTRY: dict[str, OpSpec] = {}
_ALIASES: dict[str, str] = {}
_QLIB_NAMES: dict[str, str] = {}


def operator(
    *,
    args: tuple[type, ...],
    returns: type,
    category: str,
    aliases: tuple[str, ...] = (),
    params: tuple[Param, ...] = (),
    **facts: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an operator: build its OpSpec and add it to REGISTRY. Returns ``fn`` unchanged."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        doc = (fn.__doc__ or "").strip().splitlines()
        spec = OpSpec(
            name=fn.__name__,
            args=tuple(args),
            returns=returns,
            fn=fn,
            doc=doc[0] if doc else "",
            category=category,
            aliases=tuple(aliases),
            params=tuple(params),
            **facts,
        )
        add(spec)
        return fn

    return register


def add(spec: OpSpec) -> OpSpec:
    """Add a fully built spec (used by :func:`operator` and by table-driven declarations)."""
    _validate(spec)
    REGISTRY[spec.name] = spec
    for alias in spec.aliases:
        _ALIASES[alias.lower()] = spec.name
    if spec.qlib_name:
        _QLIB_NAMES[spec.qlib_name] = spec.name
    return spec


def remove(name: str) -> OpSpec:
    """Take an operator (and its aliases and Qlib name) out of the registry; for tests' own ops."""
    spec = REGISTRY.pop(name)
    for alias in spec.aliases:
        _ALIASES.pop(alias.lower(), None)
    if spec.qlib_name:
        _QLIB_NAMES.pop(spec.qlib_name, None)
    return spec


def _validate(spec: OpSpec) -> None:
    if spec.category not in CATEGORIES:
        raise RegistryError(f"operator {spec.name}: unknown category {spec.category!r}")
    for tp in (*spec.args, spec.returns, *(p.type for p in spec.params)):
        if not (isinstance(tp, type) and issubclass(tp, Type)):
            raise RegistryError(f"operator {spec.name}: {tp!r} is not an expression type")
    if not spec.doc:
        raise RegistryError(f"operator {spec.name}: a one-line docstring is required")
    taken = set(REGISTRY) | set(_ALIASES)
    for name in (spec.name, *spec.aliases):
        if name.lower() in taken or name in taken:
            raise RegistryError(f"operator name {name!r} is declared twice")
    if spec.qlib_name and spec.qlib_name in _QLIB_NAMES:
        raise RegistryError(f"qlib name {spec.qlib_name!r} is declared twice")


def resolve(name: str, dialect: str = "brain") -> OpSpec | None:
    """The OpSpec for a name as written by a user, or None.

    BRAIN dialect: canonical names and aliases, case-insensitive (``Ts_Rank`` = ``ts_rank``).
    Qlib dialect: Qlib's own names, case-sensitive (``Mean``, ``Ref``), then canonical names.
    """
    _load_ops()
    if dialect == "qlib" and name in _QLIB_NAMES:
        return REGISTRY[_QLIB_NAMES[name]]
    if name in REGISTRY:
        return REGISTRY[name]
    lowered = name.lower()
    if lowered in REGISTRY:
        return REGISTRY[lowered]
    if lowered in _ALIASES:
        return REGISTRY[_ALIASES[lowered]]
    return None


def all_names(dialect: str = "brain") -> list[str]:
    """Every name the parser accepts in a dialect (for 'did you mean' suggestions)."""
    _load_ops()
    names = list(REGISTRY) + list(_ALIASES)
    if dialect == "qlib":
        names += list(_QLIB_NAMES)
    return names


def operators() -> list[OpSpec]:
    """All operators, sorted by category then name."""
    _load_ops()
    return sorted(REGISTRY.values(), key=lambda s: (CATEGORIES.index(s.category), s.name))


def window_lookback(*windows: int) -> int:
    """Lookback of an operator whose history need is its (largest) window."""
    return max(windows) - 1 if windows else 0


def _load_ops() -> None:
    # Declarations live in expressions.ops.*; importing the package registers them once.
    import expressions.ops  # noqa: F401


def markdown() -> str:
    """The operator reference as a markdown table (docs/operators.md is this text)."""
    lines = [
        "# Operators",
        "",
        "Generated by `python -m expressions.registry --markdown`; do not edit by hand.",
        "",
        "| name | signature | aliases | category | doc |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in operators():
        aliases = ", ".join(spec.aliases + ((spec.qlib_name,) if spec.qlib_name else ()))
        doc = spec.doc.replace("|", "\\|")  # a bare '|' would split the table cell
        lines.append(f"| `{spec.name}` | `{spec.signature()}` | {aliases} | {spec.category} | {doc} |")
    return "\n".join(lines) + "\n"


__all__ = [
    "CATEGORIES",
    "OpSpec",
    "Param",
    "REGISTRY",
    "Scalar",
    "Series",
    "Window",
    "add",
    "all_names",
    "operator",
    "operators",
    "remove",
    "resolve",
    "window_lookback",
]

if __name__ == "__main__":
    import sys

    # Run as __main__, this file is a second copy of the module: ask the imported one, which
    # holds the declarations.
    from expressions import registry as _declared

    if "--markdown" in sys.argv:
        sys.stdout.write(_declared.markdown())
