"""Pipeline parameters: dotted override paths (Basalt style) applied to a candidate.

A candidate carries ``params``, a flat mapping of dotted paths to values, which the GA searches
(``miner.search_space`` declares the ranges). They are applied before the expression is parsed
and simulated. This is the ONE place that lists the keys:

=====================  ===================================  ===========================================
key                    value                                effect
=====================  ===================================  ===========================================
``settings.<field>``   a value valid for that field         ``SimulationSettings.replace(<field>=value)``
                                                            (``settings.decay``, ``settings.truncation``,
                                                            ``settings.neutralization``, ...)
``post.transform``     ``none|rank|zscore|winsorize``       wraps the expression: ``rank(x)``,
                                                            ``zscore(x)``, ``winsorize(x, std=4)``
``post.flip``          bool                                 negates the (transformed) expression
=====================  ===================================  ===========================================

Any other key, an unknown settings field or a bad value raises :class:`ParamsError`, which
``run_candidate`` turns into an error result naming the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pipelines.errors import PipelineError

POST_TRANSFORMS: dict[str, str] = {
    "none": "{x}",
    "rank": "rank({x})",
    "zscore": "zscore({x})",
    "winsorize": "winsorize({x}, std=4)",
}
POST_KEYS = ("post.transform", "post.flip")
ODD_TRANSFORMS = frozenset({"none", "zscore", "winsorize"})  # T(-x) = -T(x): rank(-x) is 1 - rank(x)


class ParamsError(PipelineError, ValueError):
    """A pipeline parameter that does not exist or has a bad value (the key is named)."""


def apply_params(expression: str, settings: Any, params: Mapping[str, Any]) -> tuple[str, Any]:
    """The expression text and settings after applying ``params``.

    Parameters
    ----------
    expression : alpha expression text.
    settings : a ``SimulationSettings`` (anything with dataclass fields and ``replace``).
    params : dotted path -> value (see the module table).

    Returns
    -------
    (expression, settings) : the wrapped text and the overridden settings.

    Examples
    --------
    >>> apply_params("close", settings, {"post.transform": "rank", "settings.decay": 3})
    ('rank(close)', SimulationSettings(..., decay=3, ...))
    """
    overrides = _settings_overrides(settings, params)
    for key in params:
        if not key.startswith("settings.") and key not in POST_KEYS:
            raise ParamsError(f"unknown pipeline parameter {key!r}: use settings.<field>, {', '.join(POST_KEYS)}")
    if overrides:
        settings = _replace_settings(settings, overrides)
    return _post_process(expression, params), settings


def is_odd(params: Mapping[str, Any]) -> bool:
    """Whether the pipeline turns -x into exactly the negation of what it makes of x (every
    setting does; of the post transforms, all but rank)."""
    return params.get("post.transform", "none") in ODD_TRANSFORMS


def _settings_overrides(settings: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """``settings.<field>`` entries of ``params`` as field -> value, fields checked."""
    known = {f.name for f in dataclasses.fields(settings)}
    overrides = {}
    for key, value in params.items():
        if not key.startswith("settings."):
            continue
        name = key.split(".", 1)[1]
        if name not in known:
            raise ParamsError(f"unknown pipeline parameter {key!r}: settings has no field {name!r}")
        overrides[name] = value
    return overrides


def _replace_settings(settings: Any, overrides: dict[str, Any]) -> Any:
    try:
        return settings.replace(**overrides)
    except (TypeError, ValueError) as error:
        keys = ", ".join(f"settings.{k}" for k in overrides)
        raise ParamsError(f"bad value for pipeline parameter {keys}: {error}") from None


def _post_process(expression: str, params: Mapping[str, Any]) -> str:
    transform = params.get("post.transform", "none")
    if transform not in POST_TRANSFORMS:
        raise ParamsError(
            f"bad value {transform!r} for pipeline parameter 'post.transform': use {', '.join(POST_TRANSFORMS)}"
        )
    text = POST_TRANSFORMS[transform].format(x=expression)
    flip = params.get("post.flip", False)
    if not isinstance(flip, bool):
        raise ParamsError(f"bad value {flip!r} for pipeline parameter 'post.flip': use true or false")
    return f"-({text})" if flip else text
