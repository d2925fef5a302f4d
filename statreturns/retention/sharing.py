"""The sharing register: every export recorded in the audit log with recipient, lawful basis and hash.

The audit entry names no one; which subjects an export carried is kept in ``retention_shared`` (in the
warehouse, purged with the child), so the DPO can answer "who did we send this child's data to, and why".
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import yaml
from lxml import etree

from statreturns.files import sha256, unneutralise
from statreturns.retention import audit, store
from statreturns.retention.schedule import SCHEDULE_DIR


def config(path: Path | None = None) -> dict:
    path = path or SCHEDULE_DIR / "sharing.yaml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the sharing configuration ({type(exc).__name__})") from None


def content_hash(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (names and contents, in name order)."""
    if path.is_file():
        return sha256(path)
    h = hashlib.sha256()
    for p in sorted(q for q in path.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(path)).encode("utf-8"))
        h.update(sha256(p).encode("ascii"))
    return h.hexdigest()


def record(engine: sa.Engine, *, kind: str, recipient: str, lawful_basis: str, content_hash: str,
           subjects: Iterable[str], actor: str, counts: dict | None = None) -> int:
    """Append a share entry to the audit log and index its subjects; return the entry's sequence number."""
    store.ensure(engine)
    subjects = sorted({str(s) for s in subjects if s is not None})
    with engine.begin() as conn:
        (seq,) = audit.append(conn, [{
            "event": "share", "actor": actor, "action": kind, "internal_key": f"export:{content_hash[:16]}",
            "counts": {"subjects": len(subjects), **(counts or {})},
            "detail": {"recipient": recipient, "lawful_basis": lawful_basis, "content_hash": content_hash}}])
        if subjects:
            conn.execute(store.shared.insert(), [{"audit_seq": seq, "subject": s} for s in subjects])
    return seq


ID_NAMES = ("child_id", "CHILD", "LAchildID", "pupil_id")


def _ids_in(name: str, blob: bytes) -> set[str]:
    if name.lower().endswith(".csv"):
        frame = pd.read_csv(io.BytesIO(blob), dtype=str, keep_default_na=False)
        return {v for c in ID_NAMES if c in frame.columns for v in unneutralise(frame[c]) if v}
    if name.lower().endswith(".xml"):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            root = etree.fromstring(blob, parser)
        except etree.XMLSyntaxError:
            raise ValueError(f"{name}: not well-formed XML") from None
        if root.getroottree().docinfo.doctype:
            raise ValueError(f"{name}: a DOCTYPE is not accepted")
        return {(el.text or "").strip() for el in root.iter()
                if isinstance(el.tag, str) and etree.QName(el).localname in ID_NAMES and (el.text or "").strip()}
    return set()


def subjects_in(path: Path) -> set[str]:
    """The children an export file carries: id columns of CSVs, id elements of XML, inside zips too."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            return set().union(*[_ids_in(n, zf.read(n)) for n in zf.namelist()] or [set()])
    if path.is_dir():
        return set().union(*[subjects_in(p) for p in sorted(path.rglob("*")) if p.is_file()] or [set()])
    return _ids_in(path.name, path.read_bytes())


def record_export(engine: sa.Engine, kind: str, path: Path, subjects: Iterable[str] | None, actor: str,
                  config_path: Path | None = None) -> int:
    """Record a return file or submission pack using the configured recipient and lawful basis for ``kind``.

    ``subjects`` None: read them from the file (``subjects_in``).
    """
    if subjects is None:
        subjects = subjects_in(path)
    exports = config(config_path).get("exports", {})
    if kind not in exports:
        raise ValueError(f"sharing configuration has no export kind {kind!r}")
    return record(engine, kind=kind, recipient=exports[kind]["recipient"],
                  lawful_basis=exports[kind]["lawful_basis"], content_hash=content_hash(path),
                  subjects=subjects, actor=actor)


def shared_with(engine: sa.Engine, subject: str) -> list[dict]:
    """The share entries of the audit log whose export carried this subject."""
    store.ensure(engine)
    with engine.connect() as conn:
        seqs = [r.audit_seq for r in conn.execute(
            sa.select(store.shared.c.audit_seq).where(store.shared.c.subject == str(subject)))]
        if not seqs:
            return []
        q = sa.select(store.audit).where(store.audit.c.seq.in_(seqs)).order_by(store.audit.c.seq)
        return [dict(r) for r in conn.execute(q).mappings()]
