"""The one error type a user can cause; its message says what to do next. Also the check of a whole number."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any


class ExplorerError(ValueError):
    """Bad input the user can fix: empty text, unknown model, unsupported architecture, a bad export selection, ...

    The app and the command line show ``str(err)`` as-is, so the message must be a plain sentence that says what
    happened and what to do, never a traceback. Mistakes in calling the library (a layer index past the model's
    layers, an unknown option name) are plain ``ValueError``s: they are bugs in the caller, not the user's input.
    """


def whole_number(value: Any, what: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """`value` as an int, or ExplorerError: "The token limit must be a whole number, not 2.5.".

    Accepted: ints (numpy's too) and integral finite floats (3.0); refused: bools, fractions, NaN, infinities,
    strings and anything outside minimum .. maximum. `what` starts the message ("The token limit").
    """
    number = None
    if isinstance(value, Integral) and not isinstance(value, bool):
        number = int(value)
    elif isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value) and value == int(value):
        number = int(value)  # 3.0 from a JSON file or a number widget
    if number is None:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        raise ExplorerError(f"{what} must be a whole number, not {shown}.")
    if minimum is not None and number < minimum:
        raise ExplorerError(f"{what} must be at least {minimum:,}.")
    if maximum is not None and number > maximum:
        raise ExplorerError(f"{what} must be at most {maximum:,} ({number:,} was given).")
    return number
