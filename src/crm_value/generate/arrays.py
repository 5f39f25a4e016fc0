"""Small vectorised helpers: probabilities, draws, and Arrow columns (ids, money, times)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from crm_value.generate.reference import _ID_PREFIX, _ID_WIDTH, _TS, MONEY

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _probs(weights: Sequence[float]) -> FloatArray:
    """Normalise weights into a probability vector."""
    arr = np.asarray(weights, dtype=np.float64)
    return arr / arr.sum()


def _strings(values: Sequence[str]) -> pa.Array:
    """Build a small dictionary array of strings to ``take`` from."""
    return pa.array(list(values), type=pa.string())


def _take(values: pa.Array, idx: NDArray[Any]) -> pa.Array:
    """Vectorised lookup of ``values`` at integer positions ``idx``."""
    return values.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation of arrays and scalar strings."""
    return pc.binary_join_element_wise(*parts, "")


def _null_where(arr: pa.Array, mask: BoolArray) -> pa.Array:
    """Replace the elements of ``arr`` where ``mask`` is true by null."""
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar(None, type=arr.type), arr)


def _select(mask: BoolArray, when_true: pa.Array, when_false: pa.Array) -> pa.Array:
    """Element-wise ``mask ? when_true : when_false`` for Arrow arrays."""
    return pc.if_else(pa.array(mask), when_true, when_false)


def _int_str(values: IntArray) -> pa.Array:
    """Format integers as decimal strings."""
    return pc.cast(pa.array(values, type=pa.int64()), pa.string())


def _ids(entity: str, first: int, count: int, total: int) -> pa.Array:
    """Sequential ids ``<prefix><zero padded number>`` starting at ``first``."""
    width = max(_ID_WIDTH[entity], len(str(total)))
    nums = np.arange(first, first + count, dtype=np.int64)
    padded = pc.utf8_lpad(_int_str(nums), width, "0")
    return _concat(pa.scalar(_ID_PREFIX[entity]), padded)


def _id_str(entity: str, number: int, total: int) -> str:
    """A single id, formatted like :func:`_ids`."""
    width = max(_ID_WIDTH[entity], len(str(total)))
    return f"{_ID_PREFIX[entity]}{number:0{width}d}"


def _decimal(cents: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """Exact ``decimal128(18, 2)`` array from integer cents (two's complement)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((cents.size, 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    validity = None
    null_count = 0
    if valid is not None and not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
        null_count = int(cents.size - np.count_nonzero(valid))
    return pa.Array.from_buffers(
        MONEY, cents.size, [validity, pa.py_buffer(words)], null_count=null_count
    )


def _timestamps(seconds: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """``timestamp[s]`` array from epoch seconds."""
    mask = None if valid is None else ~valid
    return pa.array(seconds.astype("datetime64[s]"), type=_TS, mask=mask)


def _dates(days: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """``date32`` array from epoch days."""
    mask = None if valid is None else ~valid
    return pa.array(days.astype("datetime64[D]"), type=pa.date32(), mask=mask)


def _ints(values: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """``int64`` array with optional nulls."""
    mask = None if valid is None else ~valid
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=mask)


def _choice(rng: np.random.Generator, p: Sequence[float], size: int) -> IntArray:
    """Draw ``size`` category indices with probabilities ``p``."""
    return rng.choice(len(p), size=size, p=_probs(p)).astype(np.int64)


def _uniform_int(rng: np.random.Generator, low: IntArray, high: IntArray) -> IntArray:
    """Integers uniformly in ``[low, high)`` (``low`` where the range is empty)."""
    span = np.maximum(high - low, 0)
    return low + np.floor(rng.random(low.shape) * span).astype(np.int64)


def _group_starts(counts: IntArray) -> IntArray:
    """Start offset of every group in a ``np.repeat``-style layout."""
    return np.cumsum(counts) - counts
