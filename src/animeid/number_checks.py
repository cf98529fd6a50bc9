"""Range checks of user-given numbers, one wording everywhere. A number out of range otherwise
surfaces late and far from its cause (a zero step count as a ZeroDivisionError, C = 0 deep inside
scikit-learn, a NaN that passes every `<=` test); the message names what the user typed."""
from __future__ import annotations

import math
import numbers

from animeid.errors import AnimeidError


def whole(value, name: str, lo: int, hi: int | None = None, why: str = "") -> int:
    """`value` as an int in [lo, hi], else AnimeidError naming `name` (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        bound = f"a whole number >= {lo}" if hi is None else f"a whole number from {lo} to {hi}"
        raise AnimeidError(f"{name} {value!r}: must be {bound}{why}")
    return value


def finite(value, name: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
           hi_open: bool = False, why: str = "") -> float:
    """`value` as a finite float within the bounds given, else AnimeidError naming `name`."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (lo is None or (value > lo if lo_open else value >= lo))
    ok = ok and (hi is None or (value < hi if hi_open else value <= hi))
    if not ok:
        if lo is not None and hi is not None:
            bound = f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        elif lo is not None:
            bound = f"a finite number {'>' if lo_open else '>='} {lo:g}"
        elif hi is not None:
            bound = f"a finite number {'<' if hi_open else '<='} {hi:g}"
        else:
            bound = "a finite number"
        raise AnimeidError(f"{name} {value!r}: must be {bound}{why}")
    return float(value)


def check_k(k, default: int | None = None) -> int:
    """The number of answers a search or an identification returns (`default` when `k` is None).
    `k or default` turned 0 into 5 and passed -1, 2.5 and True on to FAISS; a string failed deep
    in the search. NumPy integers are whole numbers too (`numbers.Integral`, without importing it)."""
    k = default if k is None else k
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise AnimeidError(f"k must be a whole number >= 1, got {k!r}")
    return int(k)
