"""Row dicts to JSON Lines and CSV, one record at a time (streams never buffer)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TextIO


def plain(value: Any) -> Any:
    """A JSON-ready value: ISO 8601 for datetimes, lists for arrays."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def jsonl_line(record: Mapping[str, Any], fields: Sequence[str]) -> str:
    return json.dumps({f: plain(record.get(f)) for f in fields}, ensure_ascii=False)


def write_jsonl(records: Iterable[Mapping[str, Any]], fields: Sequence[str], out: TextIO) -> int:
    n = 0
    for record in records:
        out.write(jsonl_line(record, fields) + "\n")
        n += 1
    return n


def csv_cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


class CsvWriter:
    """CSV with a header row, written before the first record (or on ``header()``)."""

    def __init__(self, fields: Sequence[str], out: TextIO):
        self.fields = list(fields)
        self._writer = csv.writer(out, lineterminator="\n")
        self._header_written = False

    def header(self) -> None:
        if not self._header_written:
            self._writer.writerow(self.fields)
            self._header_written = True

    def write(self, record: Mapping[str, Any]) -> None:
        self.header()
        self._writer.writerow([csv_cell(record.get(f)) for f in self.fields])
