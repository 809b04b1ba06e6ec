"""Operator declarations: group operators (within sector / industry / bucket, category "group").

All are ``pasteurize=True`` (Series arguments arrive masked to the universe, or the universe
comes as the keyword-only ``member``: see ops/cross_section.py). A Group argument
is an int array [T, N] or a panel's [N] codes (broadcast over days); a negative code means
"no group" and gives NaN. Every statistic is over the group's non-NaN values of the day and is
written only where x itself is non-NaN (group_backfill excepted: it fills NaN). Standard
deviations are population (ddof=0); a lone member ranks 0.5.

bucket(x, range="start,end,step") returns a Group: codes 0..k-1 for the k intervals
[start, start+step), ..., [end-step, end]; values below start join the first bucket, values at
or above end the last; NaN gets -1. ``buckets="e0,e1,...,ek"`` gives the edges explicitly.
"""

from __future__ import annotations

import numpy as np

from expressions.errors import ExpressionTypeError
from expressions.kernels import cross_section as kernels
from expressions.ops.cross_section import as_panel
from expressions.reference import cross_section as reference
from expressions.registry import Param, operator, window_lookback
from expressions.types import Group, Scalar, Series, Text, Window

_GROUP = {"args": (Series, Group), "returns": Series, "category": "group", "pasteurize": True}
# Codes above this are renumbered first, so accumulators stay small for any labelling.
_MAX_DIRECT_CODE = 1 << 16
_MAX_BUCKETS = 10_000


def group_codes(group, shape: tuple[int, int]) -> tuple[np.ndarray, int]:
    """(int64 [T, N] codes, number of groups): broadcast [N] codes, renumber huge ones.

    Codes that are the same every day (a panel's [N] codes, or their broadcast view) stay one
    int64 row broadcast over the days: a read-only view, not a [T, N] copy per call.
    """
    codes = np.asarray(group)
    if not np.issubdtype(codes.dtype, np.integer):
        codes = np.where(np.isnan(codes), -1, codes)
    if codes.ndim == 1 or (codes.ndim == 2 and codes.strides[0] == 0):
        row, n_groups = _renumbered(np.asarray(codes[-1] if codes.ndim == 2 else codes, dtype=np.int64))
        return np.broadcast_to(row, shape), n_groups
    return _renumbered(np.ascontiguousarray(np.broadcast_to(codes, shape), dtype=np.int64))


def _renumbered(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """(codes, number of groups), codes renumbered 0..k-1 when the largest is too large."""
    top = int(codes.max(initial=-1))
    if top < _MAX_DIRECT_CODE:
        return codes, top + 1
    valid = codes >= 0
    renumbered = np.full(codes.shape, -1, dtype=np.int64)
    labels, renumbered[valid] = np.unique(codes[valid], return_inverse=True)
    return renumbered, len(labels)


def _group_stat(x, group, stat: int, member=None) -> np.ndarray:
    x = as_panel(x)
    codes, n_groups = group_codes(group, x.shape)
    return kernels.group_stat_2d(x, codes, n_groups, stat, member)


@operator(**_GROUP, aliases=("indneutralize",), reference=reference.group_neutralize, cost=2.0)
def group_neutralize(x, group, *, member=None):
    """x minus the mean of its group that day (Alpha101's IndNeutralize)."""
    return _group_stat(x, group, kernels.GROUP_NEUTRALIZE, member)


@operator(**_GROUP, reference=reference.group_rank, cost=4.0)
def group_rank(x, group, *, member=None):
    """Rank within the group that day, uniform in [0, 1], ties averaged (lone member: 0.5)."""
    x = as_panel(x)
    codes, n_groups = group_codes(group, x.shape)
    return kernels.group_rank_2d(x, codes, n_groups, member)


@operator(**_GROUP, reference=reference.group_zscore, cost=2.0)
def group_zscore(x, group, *, member=None):
    """(x - group mean) / group std that day; NaN for a group whose values are all equal."""
    return _group_stat(x, group, kernels.GROUP_ZSCORE, member)


@operator(**_GROUP, reference=reference.group_mean)
def group_mean(x, group, *, member=None):
    """Mean of the group's values that day."""
    return _group_stat(x, group, kernels.GROUP_MEAN, member)


@operator(**_GROUP, reference=reference.group_scale)
def group_scale(x, group, *, member=None):
    """(x - group min) / (group max - group min) that day; NaN when max == min."""
    return _group_stat(x, group, kernels.GROUP_SCALE, member)


@operator(**_GROUP, reference=reference.group_sum)
def group_sum(x, group, *, member=None):
    """Sum of the group's values that day."""
    return _group_stat(x, group, kernels.GROUP_SUM, member)


@operator(**_GROUP, reference=reference.group_count)
def group_count(x, group, *, member=None):
    """Number of group members with a non-NaN value that day."""
    return _group_stat(x, group, kernels.GROUP_COUNT, member)


@operator(**_GROUP, reference=reference.group_max)
def group_max(x, group, *, member=None):
    """Largest value in the group that day."""
    return _group_stat(x, group, kernels.GROUP_MAX, member)


@operator(**_GROUP, reference=reference.group_min)
def group_min(x, group, *, member=None):
    """Smallest value in the group that day."""
    return _group_stat(x, group, kernels.GROUP_MIN, member)


@operator(args=(Series, Group, Window), params=(Param("std", Scalar, 4.0),), returns=Series,
          category="group", pasteurize=True, lookback=window_lookback,
          reference=reference.group_backfill, cost=6.0,
          nan_rule="fills NaN; NaN stays where the group has no value in the last d days")
def group_backfill(x, group, d, std=4.0):
    """NaN -> winsorized (mean +- std sd) mean of the group's values over the last d days."""
    x = as_panel(x)
    codes, n_groups = group_codes(group, x.shape)
    return kernels.group_backfill_2d(x, codes, n_groups, int(d), float(std))


def bucket_edges(range: str, buckets: str = "") -> np.ndarray:  # noqa: A002 - BRAIN's keyword
    """Bucket edges from ``buckets="e0,...,ek"`` or else ``range="start,end,step"``.

    Raises ExpressionTypeError naming the bad string.
    """
    if buckets and str(buckets).strip():
        edges = np.array(_numbers(buckets, "buckets"))
        if edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ExpressionTypeError(
                f"bucket: buckets must be at least two increasing numbers, got {buckets!r}"
            )
        return edges
    numbers = _numbers(range, "range")
    if len(numbers) != 3:
        raise ExpressionTypeError(f"bucket: range must be 'start,end,step', got {range!r}")
    start, end, step = numbers
    count = (end - start) / step if step > 0 else 0.0
    if not end > start or not step > 0 or round(count) > _MAX_BUCKETS:
        raise ExpressionTypeError(
            f"bucket: range {range!r} needs end > start, step > 0 and at most {_MAX_BUCKETS} buckets"
        )
    return start + step * np.arange(int(round(count)) + 1)


def _numbers(text, what: str) -> list[float]:
    try:
        numbers = [float(part) for part in str(text).split(",")]
    except ValueError:
        raise ExpressionTypeError(
            f"bucket: {what} must be comma-separated numbers, got {text!r}"
        ) from None
    if not np.all(np.isfinite(numbers)):
        raise ExpressionTypeError(f"bucket: {what} must be finite numbers, got {text!r}")
    return numbers


@operator(args=(Series,), params=(Param("range", Text, "0,1,0.1"), Param("buckets", Text, "")),
          returns=Group, category="group", pasteurize=True, reference=reference.bucket,
          nan_rule="NaN -> code -1 (no group)")
def bucket(x, range="0,1,0.1", buckets=""):  # noqa: A002 - BRAIN's keyword
    """Group codes of the intervals x falls in: bucket(rank(x), range="0,1,0.1") -> 0..9."""
    edges = bucket_edges(range, buckets)
    x = as_panel(x)
    codes = np.searchsorted(edges, x, side="right") - 1
    codes = np.clip(codes, 0, edges.size - 2)
    codes[np.isnan(x)] = -1
    return codes.astype(np.int64)
