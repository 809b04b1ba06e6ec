"""Marker classes for the alpha language's types.

They carry no data: the parser, the type checker and DEAP's ``PrimitiveSetTyped`` compare them
with ``issubclass``. Runtime values are:

- ``Series``: float64 array [T, N] (time on axis 0).
- ``Bool``: a ``Series`` holding 1.0 / 0.0 / NaN; usable wherever a ``Series`` is.
- ``Window``: a positive ``int`` literal (fractional windows are floored by the parser).
- ``Scalar``: a ``float`` literal; accepted where a ``Series`` is expected (broadcast).
- ``Group``: an integer array [T, N] of group codes (a panel's [N] groups are broadcast);
  negative codes mean "no group".
- ``Text``: a string literal (``bucket(x, range="0,1,0.1")``).
"""


class Type:
    """Base of every expression type."""


class Series(Type):
    """A [dates x instruments] float matrix."""


class Bool(Series):
    """A Series of 1.0 (true), 0.0 (false) and NaN."""


class Window(Type):
    """A positive integer number of days, always a literal."""


class Scalar(Type):
    """A numeric literal."""


class Group(Type):
    """Integer group codes per instrument (sector, industry, bucket(...) output, ...)."""


class Text(Type):
    """A string literal, only for options such as bucket's range."""


TYPE_NAMES: dict[type, str] = {
    Series: "series",
    Bool: "bool",
    Window: "window",
    Scalar: "scalar",
    Group: "group",
    Text: "text",
}


def type_name(tp: type) -> str:
    return TYPE_NAMES[tp]


def accepts(expected: type, actual: type) -> bool:
    """Whether a value of type ``actual`` may stand where ``expected`` is declared."""
    if issubclass(actual, expected):
        return True
    return expected is Series and actual is Scalar
