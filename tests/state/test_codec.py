"""PnL blobs: exact float64, float32 rounding, NaN, empty, corrupt headers."""

from __future__ import annotations

import numpy as np
import pytest

from state import StoreError, decode_pnl, encode_pnl


def test_float64_round_trip_is_exact_with_nans() -> None:
    values = np.random.default_rng(0).normal(0, 1e4, size=1000)
    values[[0, 1, 500]] = np.nan
    back = decode_pnl(encode_pnl(values, dtype="float64"))
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, values)


def test_float32_keeps_seven_significant_digits_and_is_smaller() -> None:
    values = np.cumsum(np.random.default_rng(1).normal(0, 1e4, size=2520))
    blob32, blob64 = encode_pnl(values), encode_pnl(values, dtype="float64")
    np.testing.assert_allclose(decode_pnl(blob32), values, rtol=1e-7 * 2)
    assert len(blob32) < 0.6 * len(blob64)
    assert len(blob64) <= values.nbytes + 64


def test_shuffled_bytes_compress_a_real_looking_pnl() -> None:
    values = np.round(np.random.default_rng(2).normal(0, 1e4, size=2520), 2)
    assert len(encode_pnl(values)) < 0.9 * values.astype(np.float32).nbytes


def test_hand_made_values_and_empty_series() -> None:
    assert decode_pnl(encode_pnl([1.5, -2.25, 0.0])).tolist() == [1.5, -2.25, 0.0]
    assert decode_pnl(encode_pnl([])).size == 0


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"PN", "too short"),
        (b"XXX\x01f\x00\x00\x00\x00", "not a PnL blob"),
        (b"PNL\x01f\x05\x00\x00\x00x\x9c\x03\x00\x00\x00\x00\x01", "holds 0 bytes"),
    ],
)
def test_corrupt_blobs_are_named(blob: bytes, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        decode_pnl(blob)


def test_bad_shapes_and_dtypes_are_refused() -> None:
    with pytest.raises(StoreError, match="1-D"):
        encode_pnl(np.zeros((2, 2)))
    with pytest.raises(StoreError, match="float32 or float64"):
        encode_pnl([1.0], dtype="int64")
