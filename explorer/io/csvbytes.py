"""attention.csv built with numpy: the export's writer, byte for byte what runfiles.write_attention_csv writes.

runfiles.write_attention_csv formats one float at a time in Python (f"{x:.9g}", ~50 MB/s: 18 s for the 920 MB of
a full 512-token export of the bundled model). Here a block of lines is built at once:

1. every float32 becomes its "%.9g" text in a 16-byte record (float_records): the nine significant digits and the
   decimal exponent come from float64 arithmetic, exact enough to round correctly except within 1e-5 of a rounding
   tie, where Python's own correctly rounded formatting decides (a few values in a hundred thousand); the record
   lays them out in fixed or scientific notation, trailing zeros dropped, as Python's %g does;
2. each line is fixed-width slots of whole words (query cell, key cell, weight record, score record) whose unused
   bytes are zero, and a block's text is its nonzero bytes in order: one numpy selection, no Python loop per line.

Token cells are made by the rules runfiles uses (explorer.csvsafe's formula-safe text, RFC 4180 quoting); the
tests check that the two writers give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

import numpy as np

from explorer.csvsafe import neutralise_formula
from explorer.extract import Extraction
from explorer.io import runfiles
from explorer.io.runfiles import CSV_COLUMNS

BLOCK_CELLS = 2**15  # (query, key) lines built at once: ~3 MB of line slots, the working arrays stay in cache

# --- "%.9g" of float32 arrays ------------------------------------------------------------------------------------
#
# A value's 16-byte record, as two little-endian uint64 words (byte 0 is the low byte of the first word):
#
#   byte        0     1    2    3 … 10      11 … 14   15      d1 … d9: the nine significant digits; the ones after
#   scientific  sign  d1   .    d2 … d9     e-05      sep     the last significant digit are zero bytes, and so
#   0.000ddd    sign  0    .    0 0 0  d1 … d9        sep     are a point with no digit after it and the zeros
#   ddd.ddd     sign  d1 … d(e+1)  .  d(e+2) … d9     sep     of "0.000" that 0.01 does not need
#
# Zero bytes are gaps, dropped with the line's other unused bytes. %g writes exponents -4 to 8 in fixed notation.

_POW10 = np.array([float(f"1e{k}") for k in range(-70, 71)])  # 10**k correctly rounded, k = -70..70
_TIE = 1e-5  # float64 error of |x|·10^k is below 1e-6 here; closer than _TIE to a tie, Python decides
_E0 = 64  # decimal exponent e is row e + _E0 of the tables below (float32: -45 to 38)
_MINUS, _POINT, _ZERO = ord("-"), ord("."), ord("0")


def _word(text: bytes) -> int:
    """Up to 8 bytes as the little-endian uint64 that holds them (zero bytes after)."""
    return int.from_bytes(text.ljust(8, b"\0"), "little")


def _table(word_of_exponent: Callable[[int], int]) -> np.ndarray:
    return np.array([word_of_exponent(e - _E0) for e in range(2 * _E0)], dtype=np.uint64)


_DIGITS4 = np.array([_word(b"%04d" % i) for i in range(10_000)], dtype=np.uint64)  # "0000".."9999"
_TRAILING4 = np.array([0] + [len(b"%04d" % i) - len((b"%04d" % i).rstrip(b"0")) for i in range(1, 10_000)])
_LOW = np.array([(1 << 8 * j) - 1 for j in range(8)] + [2**64 - 1], dtype=np.uint64)  # a word's low j bytes
_EXPONENT = _table(lambda e: _word(b"e%+03d" % e))  # "e-05", "e+09"
_LEAD_ZEROS = _table(lambda e: _word(b"0" * (-1 - e)) if -4 <= e < 0 else 0)  # the zeros after "0." (f<0)
# ddd.ddd (0 <= e <= 8): the point goes after digit e + 1, so its first e + 1 digits stay and the rest move on
_HEAD_LO = _table(lambda e: (1 << 8 * (e + 1)) - 1 if 0 <= e < 7 else 2**64 - 1)
_HEAD_HI = _table(lambda e: (1 << 8 * (e - 7)) - 1 if 7 <= e <= 8 else 0)
_POINT_LO = _table(lambda e: _POINT << 8 * (e + 1) if 0 <= e < 7 else 0)
_POINT_HI = _table(lambda e: _POINT << 8 * (e - 7) if 7 <= e <= 8 else 0)


def _decimal(x: np.ndarray, a: np.ndarray, finite: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For nonzero finite x (a = |x| as float64, 1.0 elsewhere): the nine significant digits as an integer in
    [10^8, 10^9) and the decimal exponent, correctly rounded (half to even on the exact binary value)."""
    exp = np.floor(np.log10(a)).astype(np.int64)
    scaled = a * _POW10[70 + 8 - exp]  # |x| · 10^(8 - exp), in [1e8, 1e9) unless log10 was one off
    off = (scaled < 1e8).astype(np.int64) - (scaled >= 1e9)
    exp -= off
    scaled = np.where(off != 0, a * _POW10[70 + 8 - exp], scaled)
    digits = np.rint(scaled)
    carry = digits >= 1e9  # 999999999.5 and up round to 10^9: one digit more before the point
    digits = np.where(carry, 1e8, digits).astype(np.int64)
    exp += carry
    for i in np.flatnonzero(finite & (np.abs(scaled - np.floor(scaled) - 0.5) < _TIE)):  # near a tie
        text = f"{abs(float(x[i])):.8e}"  # Python's correctly rounded "d.dddddddde±XX": the digits of "%.9g"
        digits[i], exp[i] = int(text[0] + text[2:10]), int(text[11:])
    return digits, exp


def float_records(values: np.ndarray, separator: str) -> np.ndarray:
    """float32 values as "%.9g" text (what f"{x:.9g}" gives: enough digits to read back as the same float32), each
    followed by `separator` (one character), in 16-byte records with gaps: uint64 [n, 2]. A value's text is its
    record's nonzero bytes."""
    x = np.asarray(values, dtype=np.float32).reshape(-1)
    with np.errstate(invalid="ignore"):  # a signalling NaN: it stays NaN, written "nan"
        a = np.abs(x.astype(np.float64))
    finite = np.isfinite(a) & (a > 0)  # zero, inf and NaN are set at the end
    m, e = _decimal(x, np.where(finite, a, 1.0), finite)
    row = e + _E0
    first = m // 10**8  # d1
    rest = m - first * 10**8  # d2 … d9
    high = rest // 10**4
    low = rest - high * 10**4
    digits = _DIGITS4[high] | (_DIGITS4[low] << 32)  # d2 … d9, one byte each
    shown = 9 - np.where(low != 0, _TRAILING4[low], np.where(high != 0, 4 + _TRAILING4[high], 8))  # significant
    d1 = (first + _ZERO).astype(np.uint64)
    sign = np.where(np.signbit(x), _MINUS, 0).astype(np.uint64)
    end = np.uint64(ord(separator)) << 56

    # scientific: d1 "." d2 … "e-05"
    rest_shown = digits & _LOW[shown - 1]
    point = np.where(shown > 1, _POINT, 0).astype(np.uint64)
    lo = sign | (d1 << 8) | (point << 16) | (rest_shown << 24)
    hi = (rest_shown >> 40) | (_EXPONENT[row] << 24)
    # 0.000ddd: exponents -4 to -1
    small = (e >= -4) & (e < 0)
    lo = np.where(
        small, sign | (_ZERO << 8) | (_POINT << 16) | (_LEAD_ZEROS[row] << 24) | (d1 << 48) | (rest_shown << 56), lo
    )
    hi = np.where(small, rest_shown >> 8, hi)
    # ddd.ddd: exponents 0 to 8, every digit before the point kept, zeros included
    big = (e >= 0) & (e < 9)
    kept = np.maximum(shown, np.minimum(e + 1, 9))
    rest_kept = digits & _LOW[kept - 1]
    body_lo, body_hi = d1 | (rest_kept << 8), rest_kept >> 56  # d1 … d9 as one 16-byte string
    head_lo, head_hi = body_lo & _HEAD_LO[row], body_hi & _HEAD_HI[row]
    tail_lo, tail_hi = body_lo & ~_HEAD_LO[row], body_hi & ~_HEAD_HI[row]
    with_point = kept > e + 1
    body_lo = head_lo | np.where(with_point, _POINT_LO[row], 0).astype(np.uint64) | (tail_lo << 8)
    body_hi = head_hi | np.where(with_point, _POINT_HI[row], 0).astype(np.uint64) | (tail_hi << 8) | (tail_lo >> 56)
    lo = np.where(big, sign | (body_lo << 8), lo)
    hi = np.where(big, (body_hi << 8) | (body_lo >> 56), hi)

    for text, where in (  # as Python writes them (a masked score is -inf, a masked weight 0)
        (b"0", x == 0),  # "-0" for -0.0: the sign stays
        (b"inf", np.isinf(x)),
        (b"nan", np.isnan(x)),
    ):
        lo = np.where(where, (sign if text != b"nan" else 0) | np.uint64(_word(text) << 8), lo)
        hi = np.where(where, 0, hi)
    records = np.empty((x.size, 2), np.uint64)
    records[:, 0], records[:, 1] = lo, hi | end
    return records


def float_texts(values: np.ndarray) -> list[str]:
    """float_records as a list of str, one per value (for tests and small tables)."""
    rows = float_records(values, "\n").view(np.uint8).reshape(-1, 16)
    return [bytes(r[r != 0]).decode()[:-1] for r in rows]


# --- attention.csv ------------------------------------------------------------------------------------------------


def _csv_field(text: str) -> str:
    """A CSV field (RFC 4180): quoted when it holds a comma, quote, or line break (as runfiles writes it)."""
    if any(c in text for c in ',"\n\r') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def _slots(cells: list[str]) -> np.ndarray:
    """UTF-8 text cells in whole words, one slot each, zero bytes after: uint64 [n, words]."""
    encoded = [c.encode() for c in cells]
    words = -(-max(map(len, encoded), default=0) // 8)
    return np.frombuffer(b"".join(c.ljust(8 * words, b"\0") for c in encoded), np.uint64).reshape(len(cells), words)


def _lines(queries: np.ndarray, keys: np.ndarray, weights: np.ndarray, scores: np.ndarray) -> bytes:
    """The CSV lines of some queries against every key, query-major. queries [rows, wq] and keys [Nk, wk]: their
    cells' slots ("layer,head,i,token," and "j,token,"); weights and scores [rows, Nk]. A line is its slots and
    two records, weight "," and score "\\n"; the text is every nonzero byte in order."""
    rows, nk = weights.shape
    wq, wk = queries.shape[1], keys.shape[1]
    line = np.empty((rows, nk, wq + wk + 4), np.uint64)  # [query, key, word]
    line[:, :, :wq] = queries[:, None]
    line[:, :, wq : wq + wk] = keys[None]
    line[:, :, wq + wk : wq + wk + 2] = float_records(weights, ",").reshape(rows, nk, 2)
    line[:, :, wq + wk + 2 :] = float_records(scores, "\n").reshape(rows, nk, 2)
    text = line.view(np.uint8).reshape(-1)
    return np.compress(text != 0, text).tobytes()


def write_attention_csv(
    run: Extraction,
    f: IO[bytes],
    pairs: Iterable[tuple[int, int]] | None = None,
    tick: Callable[[], None] | None = None,
) -> None:
    """attention.csv in long form for the (layer, head) pairs (default: all), query-major within each head: the
    bytes runfiles.write_attention_csv writes, several times faster. One head's map in memory at a time (as
    floats), its lines built BLOCK_CELLS at a time; tick() once per head."""
    if pairs is None:
        pairs = [(layer, head) for layer in range(run.n_layers) for head in range(run.n_heads)]
    key_cells = [f"{j},{_csv_field(neutralise_formula(t))}," for j, t in enumerate(run.key_tokens)]
    query_cells = [f"{i},{_csv_field(neutralise_formula(t))}," for i, t in enumerate(run.tokens)]
    if any("\0" in cell for cell in key_cells + query_cells):  # a zero byte is a gap here: the plain writer
        runfiles.write_attention_csv(run, f, pairs, tick)
        return
    keys = _slots(key_cells)
    nq, nk = run.n_tokens, run.n_keys  # cross-attention: decoder queries, encoder keys
    step = max(1, BLOCK_CELLS // max(nk, 1))  # query rows per block
    f.write((",".join(CSV_COLUMNS) + "\n").encode())
    for layer, head in pairs:
        queries = _slots([f"{layer},{head},{cell}" for cell in query_cells])
        weights, scores = run.attn[layer, head], run.scores[layer, head]  # [Nq, Nk]
        for q0 in range(0, nq, step):
            f.write(_lines(queries[q0 : q0 + step], keys, weights[q0 : q0 + step], scores[q0 : q0 + step]))
        if tick is not None:
            tick()
