"""Compact daily PnL blobs.

Layout (little endian)::

    b"PNL" | version (1 byte, = 1) | dtype code (1 byte: b"f" float32, b"d" float64)
    | length (uint32) | zlib(byte-shuffled values)

Values are stored as float32 by default: a daily PnL on a 20M book needs about 7 significant
digits, which float32 keeps, and it halves the size. float64 is exact (use it when the series is
re-used for figures that must match to the last digit). Before compression the bytes are
*shuffled* (all first bytes of every value, then all second bytes, ...), the trick of blosc: the
sign/exponent bytes of neighbouring days are alike and compress well, which plain zlib on
interleaved floats does not see. NaN survives the round trip. ``decode_pnl`` always returns
float64.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from state.errors import StoreError

_MAGIC = b"PNL"
_VERSION = 1
_HEADER = struct.Struct("<3sBcI")
_DTYPES = {b"f": np.dtype("<f4"), b"d": np.dtype("<f8")}
_CODES = {np.dtype("<f4"): b"f", np.dtype("<f8"): b"d"}


def encode_pnl(values: np.ndarray, dtype: str = "float32", level: int = 6) -> bytes:
    """Compress a 1-D float array of daily PnL into a blob.

    Parameters
    ----------
    values : array_like
        One value per day; NaN allowed.
    dtype : {"float32", "float64"}
        Storage precision (float32 rounds to ~7 significant digits; float64 is exact).
    level : int
        zlib level (1 fastest ... 9 smallest).

    Returns
    -------
    bytes
    """
    storage = np.dtype(dtype).newbyteorder("<")
    if storage not in _CODES:
        raise StoreError(f"PnL storage dtype must be float32 or float64, got {dtype!r}")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise StoreError(f"daily PnL must be 1-D, got shape {array.shape}")
    raw = array.astype(storage)
    shuffled = raw.view(np.uint8).reshape(-1, storage.itemsize).T.tobytes()
    header = _HEADER.pack(_MAGIC, _VERSION, _CODES[storage], raw.size)
    return header + zlib.compress(shuffled, level)


def decode_pnl(blob: bytes) -> np.ndarray:
    """The float64 array that ``encode_pnl`` stored in ``blob``."""
    if len(blob) < _HEADER.size:
        raise StoreError(f"PnL blob too short ({len(blob)} bytes)")
    magic, version, code, size = _HEADER.unpack_from(blob)
    if magic != _MAGIC or version != _VERSION or code not in _DTYPES:
        raise StoreError(f"not a PnL blob of version {_VERSION} (header {bytes(blob[:_HEADER.size])!r})")
    storage = _DTYPES[code]
    planes = np.frombuffer(zlib.decompress(blob[_HEADER.size :]), dtype=np.uint8)
    if planes.size != size * storage.itemsize:
        raise StoreError(f"PnL blob holds {planes.size} bytes, expected {size * storage.itemsize}")
    raw = planes.reshape(storage.itemsize, size).T.copy().view(storage).ravel()
    return raw.astype(np.float64)
