"""annals: what was known, when.

An embedded, append-only store of cited historical facts with three kinds
of time: when a fact held (*valid*), when it became known (*known*), and
when it was written to the store (*recorded*).

    >>> import annals
    >>> with annals.Store.temporary() as store:
    ...     _ = store.import_file("fixtures/rare-earths.jsonl")    # doctest: +SKIP
    ...     answer = store.query("china.export_quota for 2010")    # doctest: +SKIP

Rows are dicts in the shape of ``annals query --format json``, with every
period a :class:`Period` and every value a :class:`Value` (SPEC §4, typed
form); ``str()`` of either is its canonical text. The native module
``annals._annals`` does the work with the GIL released.
"""

from __future__ import annotations

import datetime as _datetime
import json as _json
import re as _re
import os as _os
from functools import lru_cache as _lru_cache
from typing import Any, Iterable, Iterator

from . import _annals
from ._annals import AnnalsError, DataError, QueryError, StoreLocked

__all__ = [
    "AnnalsError",
    "Answer",
    "DataError",
    "Period",
    "QueryError",
    "Store",
    "StoreLocked",
    "Value",
]

# What get() accepts as a subject or an attribute.
_NAME = _re.compile(r"\*|[A-Za-z0-9_][A-Za-z0-9_.\-]*(\.\*)?")

# The keys of answer rows whose strings are periods, and those that are values.
_PERIOD_KEYS = frozenset({"valid", "known", "known_from", "period", "published"})
_VALUE_KEYS = frozenset({"value"})


def _date(text: str | None) -> _datetime.date | None:
    return None if text is None else _datetime.date.fromisoformat(text)


class Period:
    """A period of time (SPEC §3): ``start`` and ``end`` are dates, ``end``
    exclusive, ``None`` on an open side; ``str()`` is the canonical text.

    A vague period (EDTF: ``1992~``, ``198X..``, ``2010/``) has ``start`` and
    ``end`` its certain bounds and ``possible_start`` and ``possible_end``
    the most it may cover; ``qualifiers`` is ``None``, or a dict saying for
    its ``start`` and ``end`` ``approximate``, ``uncertain`` or
    ``approximate-uncertain`` (or ``None``)."""

    __slots__ = ("text", "start", "end", "possible_start", "possible_end", "qualifiers")

    def __init__(self, text: str):
        typed = _typed_period(str(text))
        self.text: str = typed["text"]
        self.start = _date(typed["start"])
        self.end = _date(typed["end"])
        self.possible_start = _date(typed["possible_start"])
        self.possible_end = _date(typed["possible_end"])
        self.qualifiers = typed["qualifiers"]

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Period({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Period) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("Period", self.text))


class Value:
    """A value (SPEC §4): ``kind`` is number, range, text or bool, with
    ``number``, ``low``, ``high``, ``unit``, ``approx``, ``bound`` (None,
    "<=" or ">="), ``text`` and ``bool``; ``str()`` is the canonical text."""

    __slots__ = ("canonical", "kind", "number", "low", "high", "unit", "approx", "bound", "text", "bool")

    def __init__(self, text: str):
        typed = _typed_value(str(text))
        self.canonical: str = typed["canonical"]
        self.kind: str = typed["kind"]
        self.number: float | None = typed["number"]
        self.low: float | None = typed["low"]
        self.high: float | None = typed["high"]
        self.unit: str | None = typed["unit"]
        self.approx: bool = typed["approx"]
        self.bound: str | None = typed["bound"]
        self.text: str | None = typed["text"]
        self.bool: bool | None = typed["bool"]

    @property
    def magnitude(self) -> float | None:
        """The number, or a range's midpoint; None for text and booleans."""
        if self.number is not None:
            return self.number
        if self.low is not None and self.high is not None:
            return (self.low + self.high) / 2
        return None

    def __str__(self) -> str:
        return self.canonical

    def __repr__(self) -> str:
        return f"Value({self.canonical!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and other.canonical == self.canonical

    def __hash__(self) -> int:
        return hash(("Value", self.canonical))


@_lru_cache(maxsize=65536)
def _typed_period(text: str) -> dict:
    return _annals.period(text)


@_lru_cache(maxsize=65536)
def _typed_value(text: str) -> dict:
    return _annals.value(text)


def _typed(row: Any) -> Any:
    """A JSON row with its periods and values as objects, recursively."""
    if isinstance(row, dict):
        out = {}
        for key, item in row.items():
            if isinstance(item, str) and key in _PERIOD_KEYS:
                out[key] = _maybe(Period, item)
            elif isinstance(item, str) and key in _VALUE_KEYS:
                out[key] = _maybe(Value, item)
            elif key == "used" and isinstance(item, list):
                out[key] = [_maybe(Period, p) if isinstance(p, str) else p for p in item]
            else:
                out[key] = _typed(item)
        return out
    if isinstance(row, list):
        return [_typed(item) for item in row]
    return row


def _maybe(kind, text: str):
    # An empty text (a field a row kind leaves blank) stays a string.
    if not text:
        return text
    try:
        return kind(text)
    except QueryError:
        return text


def _plain(row: Any) -> Any:
    """The JSON shape again: periods and values as their canonical text."""
    if isinstance(row, (Period, Value)):
        return str(row)
    if isinstance(row, dict):
        return {key: _plain(item) for key, item in row.items()}
    if isinstance(row, list):
        return [_plain(item) for item in row]
    return row


class Answer:
    """One statement's answer: ``log_seq`` (the log position it was computed
    at, to cite), ``kind`` (get, claims, history, timeline, diff, explain,
    …), and its rows, computed as they are iterated. ``rows`` takes them all;
    ``to_pandas()`` makes a DataFrame."""

    def __init__(self, native: Any):
        self._native = native
        self.log_seq: int = native.log_seq
        self.kind: str = native.kind
        self._taken: list | None = None

    def __iter__(self) -> Iterator[dict]:
        if self._taken is not None:
            return iter(self._taken)
        return (_typed(row) for row in self._native)

    @property
    def rows(self) -> list[dict]:
        """Every row (the rest of them, if some were iterated already)."""
        if self._taken is None:
            self._taken = [_typed(row) for row in self._native]
        return self._taken

    def to_json(self) -> dict:
        """The object ``annals query --format json`` prints."""
        return {"log_seq": self.log_seq, "rows": [_plain(row) for row in self.rows]}

    def to_pandas(self):
        """A DataFrame, one column per field. A value column ``value`` also
        gives ``value_number`` (float: the number, a range's midpoint, NaN
        for text) and ``value_unit``; a period column ``valid`` gives
        ``valid_start`` and ``valid_end`` (dates, end exclusive). Needs
        pandas."""
        try:
            import pandas
        except ImportError as e:  # pragma: no cover - depends on the machine
            raise ImportError("Answer.to_pandas() needs pandas: pip install pandas") from e
        records = []
        for row in self.rows:
            record = {}
            for key, item in row.items():
                if isinstance(item, Value):
                    record[key] = str(item)
                    magnitude = item.magnitude
                    record[f"{key}_number"] = float("nan") if magnitude is None else float(magnitude)
                    record[f"{key}_unit"] = item.unit
                elif isinstance(item, Period):
                    record[key] = str(item)
                    record[f"{key}_start"] = item.start
                    record[f"{key}_end"] = item.end
                elif isinstance(item, (list, dict)):
                    record[key] = _json.dumps(_plain(item))
                else:
                    record[key] = item
            records.append(record)
        frame = pandas.DataFrame.from_records(records)
        for column in frame.columns:
            if column.endswith("_number"):
                frame[column] = frame[column].astype("float64")
        return frame

    def __repr__(self) -> str:
        return f"<annals.Answer {self.kind} at log_seq {self.log_seq}>"


class Store:
    """An annals store on disk, or in memory (:meth:`temporary`).

    ``Store(path, *, engine=None, read_only=False, create=True,
    lock_timeout=None)``: ``engine`` is ``"redb"`` (default) or ``"sled"`` for
    a new store; ``read_only`` opens without writing anything to the files;
    ``lock_timeout`` is how many seconds a write waits for another process's
    (default 60). Several processes may read a store while one writes; every
    statement sees the latest commit. A store may be shared by threads.
    Use it as a context manager to close it.
    """

    def __init__(self, path: str | _os.PathLike, *, engine: str | None = None,
                 read_only: bool = False, create: bool = True,
                 lock_timeout: float | None = None):
        self._native = _annals.Store(_os.fspath(path), engine=engine, read_only=read_only,
                                     create=create, lock_timeout=lock_timeout)

    @classmethod
    def temporary(cls) -> "Store":
        """A store in memory, gone when closed: for notebooks and tests."""
        store = cls.__new__(cls)
        store._native = _annals.Store.temporary()
        return store

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Closes the store; closing twice is harmless."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

    @property
    def position(self) -> int:
        """The log position answers are given at."""
        return self._native.position()

    def head(self) -> str:
        """The log's head, ``SEQ:HASH``: publish it to prove later that the
        log you cite was not rewritten (``annals verify --expect-head``)."""
        return self._native.head()

    def query(self, text: str) -> Answer:
        """Answers one statement of the query language, e.g.
        ``china.export_quota for 2011 as known oct 2010``: a selector, then
        ``for`` (valid time), ``as known`` (knowledge time), ``as recorded``,
        ``where``, ``limit``; or history/explain/timeline/diff/claims/show.
        The grammar: grammar/annals.ebnf in the repository; examples: the REPL's
        ``.help``. Raises QueryError (with ``line``, ``column``, ``expected``)."""
        return Answer(self._native.query(text))

    def get(self, subject: str, attribute: str, valid=None, known=None,
            recorded: int | None = None) -> Answer:
        """The winners of ``subject.attribute`` (``*`` for any), for the
        ``valid`` period, as known by ``known``, as recorded at log position
        ``recorded``: the same answer as the statement it spells. Periods
        may be given as text (``"2010"``, ``"oct 2010"``) or dates."""
        for name in (subject, attribute):
            # Names only: nothing else can be spelled into the statement.
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise QueryError(f"{name!r} is not a subject or attribute name "
                                 "(letters, digits, '_', '.', '-', or '*')")
        text = f"{subject}.{attribute}"
        if valid is not None:
            text += f" for {_period_text(valid)}"
        if known is not None:
            text += f" as known {_period_text(known)}"
        if recorded is not None:
            text += f" as recorded at seq {int(recorded)}"
        return self.query(text)

    def import_file(self, path: str | _os.PathLike) -> dict:
        """Imports a JSON Lines file (SPEC §8) as one atomic batch: all of it
        or, with DataError naming file, line and field, nothing. Returns
        ``{"first_seq", "last_seq", "warnings"}``."""
        return _imported(self._native.import_file(_os.fspath(path)))

    def append(self, events: Iterable[dict]) -> dict:
        """Appends events given as dicts of the import format (``{"op":
        "assert", "subject": …}``) as one atomic batch. A refused event raises
        DataError whose ``line`` counts the events from 1."""
        lines = "\n".join(_json.dumps(event, default=str) for event in events)
        return _imported(self._native.import_bytes("append", lines.encode("utf-8")))

    def export(self) -> Iterator[dict]:
        """The whole log as dicts of the import format plus ``seq``,
        ``recorded`` and ``hash`` (what ``annals export`` writes)."""
        for line in self._native.export_bytes().splitlines():
            if line:
                yield _json.loads(line)

    def compact(self) -> dict:
        """Merges the slot index's runs into one (``annals compact``): a store
        imported in many batches answers faster after it, the same answers.
        Returns ``{"runs", "claims"}``: the runs there were (one or none: there
        was nothing to merge) and the claims they hold."""
        runs, claims = self._native.compact()
        return {"runs": runs, "claims": claims}

    def verify(self) -> dict:
        """Checks the hash chain, the indexes against the log, and every quote
        against its source: ``{"ok", "records", "quotes_checked", "problems"}``."""
        records, quotes, problems = self._native.verify()
        return {"ok": not problems, "records": records, "quotes_checked": quotes,
                "problems": problems}

    def __repr__(self) -> str:
        return "<annals.Store closed>" if self.closed else f"<annals.Store at log_seq {self.position}>"


def _period_text(period) -> str:
    if isinstance(period, (_datetime.date, _datetime.datetime)):
        return period.isoformat()[:10]
    return str(period)


def _imported(result) -> dict:
    first, last, warnings = result
    return {"first_seq": first, "last_seq": last, "warnings": list(warnings)}
