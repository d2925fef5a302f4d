"""No traceback for any input (issue #17, item 3): every reader, fed truncated, re-encoded, shuffled and
random inputs derived from the demo data, ends in rows, quarantine, problems or one clear error of ours.

Budgets: a few dozen examples per reader and a per-example deadline, so this file runs in well under a
minute on a loaded two-core machine. Inputs are synthetic (the generator's demo shapes, never real data).
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statreturns.cin.build import build_cin_frames
from statreturns.cin.xml_reader import CinReadError, read_cin_xml
from statreturns.cin.xml_writer import write_cin_xml
from statreturns.generate.model import Config, generate
from statreturns.ingest.errors import IngestError
from statreturns.ingest.profiles import load_profile
from statreturns.ingest.run import read_unlanded
from statreturns.school import write_pupils
from statreturns.ssda903.build import build_903_frames
from statreturns.ssda903.csv_reader import ReadResult, read_csv_file
from statreturns.ssda903.writer import write_csv_set
from statreturns.ssda903.xml_reader import Ssda903ReadError, read_xml

OURS = (IngestError, CinReadError, Ssda903ReadError)  # the clear errors: file, line, reason
BUDGET = settings(max_examples=25, deadline=4000, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                         HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    """One small valid file per reader, from the generator."""
    tmp = tmp_path_factory.mktemp("seeds")
    tables = generate(Config(children=12, seed=3, school_pupils=8))
    write_pupils(tables["school_pupils"], tmp / "pupils.csv")
    pupils_csv = (tmp / "pupils.csv").read_bytes()
    lines = pupils_csv.decode("utf-8").splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    write_cin_xml(build_cin_frames(tables, 2026), tmp / "cin.xml", year=2026, lea="356")
    write_csv_set(build_903_frames(tables, 2026), tmp / "903", 2026)
    sims = "".join("<Record>" + "".join(f"<{h.replace(' ', '_x0020_')}>{v}</{h.replace(' ', '_x0020_')}>"
                                        for h, v in zip(header, row, strict=False)) + "</Record>" for row in rows)
    ctf = "".join(f"<Pupil><UPN>{row[1]}</UPN><Surname>Fakename</Surname><DOB>2016-02-03</DOB><Sex>F</Sex>"
                  "<BasicDetails><Ethnicity>WBRI</Ethnicity></BasicDetails><SENhistory><SEN><StartDate>2021-09-01"
                  "</StartDate><SENprovision>K</SENprovision></SEN></SENhistory></Pupil>" for row in rows)
    return {
        "csv": pupils_csv,
        "xlsx": _xlsx(header, rows),
        "sims-xml": f'<?xml version="1.0" encoding="utf-8"?><SuperStarReport>{sims}</SuperStarReport>'.encode(),
        "ctf": f'<?xml version="1.0"?><CTfile><Header/><CTFpupilData>{ctf}</CTFpupilData></CTfile>'.encode(),
        "cin-xml": (tmp / "cin.xml").read_bytes(),
        "ssda903": (tmp / "903" / "episodes.csv").read_bytes(),
        "903-xml": _xml_903(),
    }


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xml_903() -> bytes:
    child = ("<CHILD><HEADER><CHILDID>{i}</CHILDID><SEX>2</SEX><DOB>28/07/2010</DOB><ETHNIC>WBRI</ETHNIC>"
             "<AREVIEW><REVIEW>27/09/2025</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW></HEADER>"
             "<EPISODE><DECOM>06/01/2025</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL></EPISODE></CHILD>")
    return ("<?xml version='1.0' encoding='us-ascii'?><EXPSSDA903>" + "".join(child.format(i=i) for i in range(4))
            + "</EXPSSDA903>").encode()


# ---- mutations ------------------------------------------------------------------------------------

ENCODINGS = ("utf-16", "utf-16-be", "utf-8-sig", "cp1252", "latin-1", "utf-32", "ascii")


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "reencode", "shuffle", "flip", "splice", "random", "empty"]))
    if kind == "truncate":
        return seed[:draw(st.integers(0, len(seed)))]
    if kind == "reencode":
        text = seed.decode("utf-8", errors="replace")
        return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if kind == "shuffle":
        lines = seed.split(b"\n")
        if len(lines) < 3:  # one-line XML: shuffle its elements instead
            lines = seed.split(b"><")
            return b"><".join(draw(st.permutations(lines)))
        return b"\n".join(draw(st.permutations(lines)))
    if kind == "flip":
        data = bytearray(seed)
        for at, value in draw(st.lists(st.tuples(st.integers(0, max(len(data) - 1, 0)), st.integers(0, 255)),
                                       min_size=1, max_size=20)):
            if data:
                data[at] = value
        return bytes(data)
    if kind == "splice":
        at = draw(st.integers(0, len(seed)))
        junk = draw(st.sampled_from([b"\x00", b'"', b"\r", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"<a>" * 300,
                                     b"\xff\xfe", b"&amp;&#0;", b",,,,,,,,,,", b"x" * 70_000, b"\n\n\n"]))
        return seed[:at] + junk + seed[at:]
    if kind == "random":
        return draw(st.binary(max_size=2000))
    return b""


def _zip_inner(data: bytes, member: str, new: bytes) -> bytes:
    """The workbook with one member replaced (mutating the sheet's XML, not only the zip's bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, new if info.filename == member else src.read(info.filename))
    return out.getvalue()


# ---- the readers, each run to the end ------------------------------------------------------------------

PROFILES = {"csv": "generic-mis", "xlsx": "generic-mis", "sims-xml": "generic-mis", "ctf": "ctf",
            "cin-xml": "cin-xml", "ssda903": "ssda903"}
SUFFIX = {"csv": ".csv", "xlsx": ".xlsx", "ssda903": ".csv"}


def _run(kind: str, path: Path) -> None:
    if kind == "903-xml":
        read_xml(path)
        return
    if kind == "cin-xml":
        with contextlib.suppress(CinReadError):
            read_cin_xml(path)  # the return reader on its own ...
    if kind == "ssda903":
        read_csv_file(path, ReadResult())  # ... and the 903 CSV reader the validate command uses
    read_unlanded(kind, [path], load_profile(PROFILES[kind]), "fuzz")  # then through ingest and mapping


def _check(kind: str, data: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"in{SUFFIX.get(kind, '.xml')}"
    path.write_bytes(data)
    try:
        _run(kind, path)
    except OURS as exc:
        assert "\n" not in str(exc) and "Traceback" not in str(exc)


@pytest.mark.parametrize("kind", ["csv", "sims-xml", "ctf", "cin-xml", "ssda903", "903-xml", "xlsx"])
def test_the_seed_itself_reads(kind, seeds, tmp_path):
    _check(kind, seeds[kind], tmp_path)


@pytest.mark.parametrize("kind", ["csv", "sims-xml", "ctf", "cin-xml", "ssda903", "903-xml", "xlsx"])
def test_no_traceback_for_mutated_input(kind, seeds, tmp_path):
    @BUDGET
    @given(data=st.data())
    def run(data):
        seed = seeds[kind]
        if kind == "xlsx" and data.draw(st.booleans(), label="mutate the sheet, not the zip"):
            sheet = "xl/worksheets/sheet1.xml"
            inner = zipfile.ZipFile(io.BytesIO(seed)).read(sheet)
            _check(kind, _zip_inner(seed, sheet, data.draw(mutated(inner))), tmp_path)
        else:
            _check(kind, data.draw(mutated(seed)), tmp_path)

    run()
