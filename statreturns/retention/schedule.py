"""The retention schedule: record series, where they are held, trigger, period, action, cited source.

Loaded from YAML and validated against the canonical model: an unknown series, table, column, action or
method is an error naming the file and the series' line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from schemas import canonical
from statreturns.reference import DATA_DIR

SCHEDULE_DIR = DATA_DIR / "retention"
KEYS = {"children": "child_id", "school_pupils": "pupil_id"}  # subject table -> its key
ACTIONS = ("destroy", "anonymise", "review", "transfer")
CHANGES_DATA = ("destroy", "anonymise")
METHODS = ("keep", "drop", "null", "month", "year", "postcode_sector", "postcode_district", "hmac")
OPS = ("in", "gte", "lt", "notna")


class ScheduleError(ValueError):
    """The schedule file is invalid; the message names the file and the line."""


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def offset(self) -> pd.DateOffset:
        return pd.DateOffset(years=self.years, months=self.months, days=self.days)


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: object = None


@dataclass(frozen=True)
class Selector:
    table: str
    where: tuple[Condition, ...] = ()  # any of these holds (empty: every row)


@dataclass(frozen=True)
class Record:
    table: str
    columns: tuple[str, ...] | None = None  # None: every column
    except_columns: tuple[str, ...] = ()  # columns held by another series in the same rows

    def covered(self) -> set[str]:
        return set(self.columns or canonical.columns(self.table)) - set(self.except_columns)


@dataclass(frozen=True)
class Fallback:
    """A trigger used for a subject whose main trigger date is missing.

    ``kind`` is ``column`` (a date column of a table holding the subject's key), ``activity`` (the latest
    date in any date column of the series' record tables for the subject) or ``landed`` (the date the
    warehouse's data was last landed: the subject's record cannot have reached us later). ``period``
    defaults to the series' period.
    """

    kind: str
    period: Period | None = None
    table: str = ""
    column: str = ""
    agg: str = "max"

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}" if self.kind == "column" else self.kind


FALLBACK_KINDS = ("column", "activity", "landed")


@dataclass(frozen=True)
class DeathRule:
    table: str
    death: str
    birth: str
    under_age: int
    period: Period


@dataclass(frozen=True)
class Series:
    id: str
    title: str
    source: str
    subject: str
    members: Selector
    trigger_table: str
    trigger_column: str
    trigger_agg: str
    period: Period
    action: str
    records: tuple[Record, ...]
    exclude: Selector | None = None
    death_rule: DeathRule | None = None
    methods: dict[str, dict[str, str]] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    auto_approve: bool = False
    alternatives: tuple[dict, ...] = ()
    fallback: tuple[Fallback, ...] = ()
    catch_all: bool = False  # members: every subject that no other series of the schedule holds
    round_to: str = ""  # "financial_year_end": the trigger date moves to the next 31 March

    @property
    def trigger_name(self) -> str:
        return f"{self.trigger_table}.{self.trigger_column}" if self.trigger_column else "activity"

    @property
    def key(self) -> str:
        return KEYS[self.subject]

    def tables(self) -> list[str]:
        return [r.table for r in self.records]

    def whole_rows(self) -> bool:
        return all(r.columns is None for r in self.records)


@dataclass(frozen=True)
class Schedule:
    name: str
    path: str
    series: tuple[Series, ...]
    digest: str

    def get(self, series_id: str) -> Series:
        for s in self.series:
            if s.id == series_id:
                return s
        raise ScheduleError(f"{self.path}: unknown series {series_id!r}")


def default_path(kind: str) -> Path:
    return SCHEDULE_DIR / f"{kind}.yaml"


def load(path: Path) -> Schedule:
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
        lines = _series_lines(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ScheduleError(f"{path}: cannot read the schedule ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("series"), list):
        raise ScheduleError(f"{path}: line 1: expected a mapping with a 'series' list")
    out, seen = [], set()
    for i, raw in enumerate(doc["series"]):
        where = f"{path}: line {lines[i] if i < len(lines) else '?'}"
        if not isinstance(raw, dict):
            raise ScheduleError(f"{where}: a series must be a mapping")
        if raw.get("enabled", True) is False:
            continue
        s = _series(raw, where)
        if s.id in seen:
            raise ScheduleError(f"{where}: series {s.id!r} appears twice")
        seen.add(s.id)
        out.append(s)
    return Schedule(str(doc.get("schedule", path.stem)), str(path), tuple(out),
                    hashlib.sha256(text.encode("utf-8")).hexdigest())


def _series_lines(text: str) -> list[int]:
    node = yaml.compose(text)
    for k, v in getattr(node, "value", []):
        if getattr(k, "value", None) == "series" and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


def _need(raw: dict, key: str, where: str):
    if raw.get(key) in (None, ""):
        raise ScheduleError(f"{where}: missing {key!r}")
    return raw[key]


def _table(name: object, where: str) -> str:
    if name not in canonical.MODELS:
        raise ScheduleError(f"{where}: unknown table {name!r}")
    return str(name)


def _column(table: str, name: object, where: str) -> str:
    if name not in canonical.columns(table):
        raise ScheduleError(f"{where}: unknown column {name!r} in table {table!r}")
    return str(name)


def _period(raw: object, where: str) -> Period:
    if not isinstance(raw, dict) or set(raw) - {"years", "months", "days"}:
        raise ScheduleError(f"{where}: a period is a mapping of years, months, days")
    return Period(**{k: int(v) for k, v in raw.items()})


def _fallbacks(raw: object, where: str, key: str) -> tuple[Fallback, ...]:
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        raise ScheduleError(f"{where}: fallback is a list of triggers")
    out = []
    for f in raw:
        if not isinstance(f, dict):
            raise ScheduleError(f"{where}: a fallback is a mapping")
        period = _period(f["period"], where) if f.get("period") is not None else None
        if f.get("activity"):
            out.append(Fallback("activity", period))
        elif f.get("landed"):
            out.append(Fallback("landed", period))
        elif f.get("column"):
            table = _table(f.get("table"), where)
            col = _column(table, f.get("column"), where)
            if key not in canonical.columns(table):
                raise ScheduleError(f"{where}: fallback table {table!r} has no {key!r}")
            agg = f.get("agg", "max")
            if agg not in ("max", "min"):
                raise ScheduleError(f"{where}: fallback agg must be max or min")
            out.append(Fallback("column", period, table, col, agg))
        else:
            raise ScheduleError(f"{where}: a fallback needs a column, activity: true or landed: true")
    return tuple(out)


def _selector(raw: object, where: str, key: str) -> Selector:
    if isinstance(raw, str):
        raw = {"table": raw}
    if not isinstance(raw, dict):
        raise ScheduleError(f"{where}: members/exclude must name a table")
    table = _table(raw.get("table"), where)
    if key not in canonical.columns(table):
        raise ScheduleError(f"{where}: table {table!r} has no {key!r} to link it to the subject")
    conds = []
    for c in raw.get("where") or []:
        ops = [op for op in OPS if op in c]
        if len(ops) != 1:
            raise ScheduleError(f"{where}: a condition needs exactly one of {', '.join(OPS)}")
        conds.append(Condition(_column(table, c.get("column"), where), ops[0], c[ops[0]]))
    return Selector(table, tuple(conds))


def _series(raw: dict, where: str) -> Series:
    sid = str(_need(raw, "id", where))
    where = f"{where}: series {sid!r}"
    source = str(_need(raw, "source", where))
    subject = _need(raw, "subject", where)
    if subject not in KEYS:
        raise ScheduleError(f"{where}: subject must be one of {', '.join(KEYS)}")
    key = KEYS[subject]
    action = _need(raw, "action", where)
    if action not in ACTIONS:
        raise ScheduleError(f"{where}: unknown action {action!r}")
    trig = _need(raw, "trigger", where)
    if trig.get("activity"):  # the latest date in the subject's records
        ttable, tcol = str(subject), ""
    else:
        ttable = _table(trig.get("table"), where)
        tcol = _column(ttable, trig.get("column"), where)
    if key not in canonical.columns(ttable):
        raise ScheduleError(f"{where}: trigger table {ttable!r} has no {key!r}")
    agg = trig.get("agg", "max")
    if agg not in ("max", "min"):
        raise ScheduleError(f"{where}: trigger agg must be max or min")
    records = []
    for r in _need(raw, "records", where):
        r = {"table": r} if isinstance(r, str) else r
        table = _table(r.get("table"), where)
        if key not in canonical.columns(table):
            raise ScheduleError(f"{where}: table {table!r} has no {key!r} to find the subject's rows")
        cols, other = r.get("columns"), r.get("except_columns") or []
        records.append(Record(table, None if cols is None else tuple(_column(table, c, where) for c in cols),
                              tuple(_column(table, c, where) for c in other)))
    death = None
    if raw.get("death_rule"):
        d = raw["death_rule"]
        dt = _table(d.get("table", subject), where)
        death = DeathRule(dt, _column(dt, d.get("death"), where), _column(dt, d.get("birth"), where),
                          int(d.get("under_age", 18)), _period(d.get("period"), where))
    methods = _methods(raw.get("methods") or {}, action, records, where, key)
    files = tuple(str(c) for c in raw.get("files") or [])
    for c in files:
        if not any(c in rec.covered() for rec in records):
            raise ScheduleError(f"{where}: files column {c!r} is not among the series' records")
    alts = tuple(raw.get("alternatives") or [])
    for a in alts:
        if not isinstance(a, dict) or not a.get("source"):
            raise ScheduleError(f"{where}: every alternative must cite its source")
    catch_all = raw.get("members") == "unclaimed"
    round_to = str(raw.get("round_to") or "")
    if round_to not in ("", "financial_year_end"):
        raise ScheduleError(f"{where}: round_to must be financial_year_end")
    return Series(
        id=sid, title=str(raw.get("title", sid)), source=source, subject=subject,
        members=_selector(subject if catch_all else raw.get("members", subject), where, key),
        fallback=_fallbacks(raw.get("fallback"), where, key), catch_all=catch_all, round_to=round_to,
        exclude=_selector(raw["exclude"], where, key) if raw.get("exclude") else None,
        trigger_table=ttable, trigger_column=tcol, trigger_agg=agg,
        period=_period(_need(raw, "period", where), where), action=action, records=tuple(records),
        death_rule=death, methods=methods, files=files, auto_approve=bool(raw.get("auto_approve", False)),
        alternatives=alts)


def _methods(raw: dict, action: str, records: list[Record], where: str, key: str) -> dict[str, dict[str, str]]:
    if action != "anonymise":
        if raw:
            raise ScheduleError(f"{where}: methods are only for the anonymise action")
        return {}
    out: dict[str, dict[str, str]] = {}
    for rec in records:
        given = raw.get(rec.table) or {}
        for col, m in given.items():
            _column(rec.table, col, where)
            if m not in METHODS:
                raise ScheduleError(f"{where}: unknown method {m!r} for {rec.table}.{col}")
        unknown_cols = set(given) - rec.covered()
        if unknown_cols:
            raise ScheduleError(f"{where}: methods name columns outside the record: {sorted(unknown_cols)}")
        personal = (rec.covered() & canonical.PERSONAL_COLUMNS) - set(given)
        if personal:
            raise ScheduleError(f"{where}: anonymise needs a method for every personal column; "
                                f"{rec.table} lacks {sorted(personal)}")
        if key in rec.covered() and given.get(key) != "hmac":
            # a keyed pseudonym keeps the subject's rows linked and marks them as done for later plans
            raise ScheduleError(f"{where}: anonymise must use hmac for the key {rec.table}.{key}")
        out[rec.table] = dict(given)
    unknown = set(raw) - set(out)
    if unknown:
        raise ScheduleError(f"{where}: methods for tables not in records: {sorted(unknown)}")
    return out
