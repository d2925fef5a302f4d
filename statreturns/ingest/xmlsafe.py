"""XML parsed safely: no DTD, no entity expansion, no network; a DOCTYPE is refused before parsing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from statreturns.ingest.errors import IngestError
from statreturns.ingest.limits import DEFAULT, Limits, exceeded

_PROLOG_BYTES = 65536


def localname(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def refuse_doctype(path: Path) -> None:
    """A DOCTYPE can declare entities (a 'billion laughs' bomb) or fetch an external one: we never accept one."""
    with path.open("rb") as fh:
        head = fh.read(_PROLOG_BYTES)
    for encoding in ("utf-8", "utf-16"):
        text = head.decode(encoding, errors="ignore").upper()
        if "<!DOCTYPE" in text or "<!ENTITY" in text:
            line = text[: text.find("<!")].count("\n") + 1
            raise IngestError(path.name, "a DOCTYPE or entity declaration is not accepted (refused unparsed)", line)


def iter_elements(path: Path, tag: str, limits: Limits = DEFAULT) -> Iterator[etree._Element]:
    """Yield each element whose local name is ``tag`` at its end, then free it (memory stays flat).

    The document is refused past ``limits.max_xml_depth`` levels of nesting."""
    refuse_doctype(path)
    try:
        context = etree.iterparse(str(path), events=("start", "end"), resolve_entities=False, no_network=True,
                                  load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
        root = None
        depth = 0
        for event, elem in context:
            if event == "end":
                depth -= 1
            else:
                depth += 1
                if depth > limits.max_xml_depth:
                    raise IngestError(path.name, exceeded("max_xml_depth", depth, limits.max_xml_depth),
                                      line=elem.sourceline)
                if root is None:
                    root = elem
                    yield root  # the caller checks the document element first
                continue
            if localname(elem.tag) == tag:
                yield elem
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                while parent is not None and elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        raise IngestError(path.name, f"not well-formed XML ({_reason(exc)})", line=line) from None


def _reason(exc: etree.XMLSyntaxError) -> str:
    """libxml2's error type name only: its message text may quote the document."""
    try:
        return str(exc.error_log.last_error.type_name).lower().replace("err_", "").replace("_", " ")
    except AttributeError:
        return "syntax error"
