"""Reading back what an export wrote."""

from __future__ import annotations

import csv
import io


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
