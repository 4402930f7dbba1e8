"""Files, folders, JSON Lines, CSV and stdin -> raw article messages (key, value bytes), as users give them.

Formats: ``text`` and ``html`` publish a file as one message, as is; ``json`` one object (or each object of an
array); ``jsonl`` one message per line; ``csv`` one JSON article per row (FakeNewsCorpus columns: ``content`` is
the text, ``domain`` the source; other columns are carried along). ``auto`` decides by file extension.
"""
from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import orjson

FORMATS = ("auto", "text", "html", "json", "jsonl", "csv")
_BY_EXTENSION = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".html": "html",
                 ".htm": "html", ".txt": "text", ".text": "text", ".md": "text"}
CSV_FIELDS = {"content": "text", "domain": "source"}      # FakeNewsCorpus column -> raw article field
CSV_DROPPED = {""}                                        # pandas' unnamed index column


@dataclass(slots=True)
class Message:
    key: bytes | None
    value: bytes
    origin: str          # file (and line/row) it came from, for error messages


def iter_paths(paths: list[str]) -> Iterator[Path | None]:
    """Files named, and the files inside folders named (sorted, hidden ones skipped); None stands for stdin."""
    for name in paths:
        if name == "-":
            yield None
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield child
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {name}")


def format_of(path: Path | None, data: bytes, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    if path is not None and path.suffix.lower() in _BY_EXTENSION:
        return _BY_EXTENSION[path.suffix.lower()]
    head = data.lstrip()[:1]
    if head == b"{":
        lines = [line for line in data.splitlines() if line.strip()]
        return "jsonl" if len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines) else "json"
    if head == b"[":    # a JSON array of objects; "[January 24, 2018 - ZurichTimes.net]" opens scraped text
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return "text"
        return "json" if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) else "text"
    return "text"


def read_messages(paths: list[str], fmt: str = "auto") -> Iterator[Message]:
    for path in iter_paths(paths):
        data = sys.stdin.buffer.read() if path is None else path.read_bytes()
        origin = "stdin" if path is None else str(path)
        yield from messages_of(data, format_of(path, data, fmt), origin)


def messages_of(data: bytes, fmt: str, origin: str) -> Iterator[Message]:
    if fmt in ("text", "html"):
        yield Message(None, data, origin)
    elif fmt == "json":
        value = orjson.loads(data)
        for n, obj in enumerate(value if isinstance(value, list) else [value]):
            yield Message(_key_of(obj), orjson.dumps(obj), f"{origin}[{n}]")
    elif fmt == "jsonl":
        for n, line in enumerate(data.splitlines(), 1):
            if line.strip():
                try:
                    key = _key_of(orjson.loads(line))
                except orjson.JSONDecodeError:
                    key = None          # published as is: the worker dead-letters it with the reason
                yield Message(key, line, f"{origin}:{n}")
    elif fmt == "csv":
        yield from _csv_messages(data, origin)
    else:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def _csv_messages(data: bytes, origin: str) -> Iterator[Message]:
    csv.field_size_limit(64 * 1024 * 1024)
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", "replace"), newline=""))
    for n, row in enumerate(reader, 2):
        article = {}
        for column, value in row.items():
            if column in CSV_DROPPED or column is None or value in (None, ""):
                continue
            article[CSV_FIELDS.get(column, column)] = value
        yield Message(_key_of(article), orjson.dumps(article), f"{origin}:{n}")


def _key_of(obj) -> bytes | None:
    if isinstance(obj, dict) and isinstance(obj.get("id"), (str, int)) and str(obj["id"]).strip():
        return str(obj["id"]).strip().encode("utf-8")
    return None
