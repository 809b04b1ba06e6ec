"""Reinterpret a float64 as its int64 bit pattern and back, inside numba kernels.

For a non-negative float the bit pattern orders like the value, so a maximum of |x| over an array
can be taken on ``x.view(np.int64) & MAGNITUDE``: numba lowers a float ``max`` to a
compare-and-select that LLVM does not vectorize (one dependent max per element), an int64 maximum
vectorizes (~2-3x faster on a 505-wide row); ``bits_float`` turns the result back into the float.
Bitcasting each element inside a hot loop instead of reading the array's int64 view kept LLVM
from vectorizing that loop in the cases measured: read the view.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

MAGNITUDE = np.int64(0x7FFFFFFFFFFFFFFF)  # clears the sign bit: the bit pattern of |x|


@intrinsic
def float_bits(typingctx, value):
    """The int64 bit pattern of a float64 (no conversion)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def bits_float(typingctx, bits):
    """The float64 whose bit pattern is the int64 ``bits``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen
