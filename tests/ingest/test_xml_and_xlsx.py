"""SIMS CommandReporter XML, CTF, XLSX workbooks; XML bombs and external entities refused unparsed."""

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook

from statreturns.ingest.errors import IngestError
from statreturns.ingest.profiles import load_profile
from statreturns.ingest.run import ingest_source, read_unlanded
from tests.ingest.conftest import LANDED_AT, balanced, source

MIS = load_profile("generic-mis")

SIMS = """<?xml version="1.0" encoding="utf-8"?>
<SuperStarReport>
  <Record><Adno>001234</Adno><UPN>H123456789012</UPN><Legal_x0020_Forename>Testy</Legal_x0020_Forename>
    <Legal_x0020_Surname>Fakename</Legal_x0020_Surname><DOB>2015-10-25T00:00:00</DOB><Gender>F</Gender>
    <Date_x0020_of_x0020_Admission>2020-09-01T00:00:00</Date_x0020_of_x0020_Admission></Record>
  <Record><Adno>001235</Adno><UPN>K123456789013</UPN><Legal_x0020_Forename>Madeup</Legal_x0020_Forename>
    <Legal_x0020_Surname>Samplewood</Legal_x0020_Surname><DOB>not a date</DOB><Gender>M</Gender></Record>
</SuperStarReport>
"""

CTF = """<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header><DocumentName>Common Transfer File</DocumentName><CTFversion>23.0</CTFversion>
    <SourceSchool><LEA>356</LEA><Estab>2001</Estab></SourceSchool></Header>
  <CTFpupilData>
    <Pupil>
      <UPN>H123456789012</UPN><Surname>Fakename</Surname><Forename>Testy</Forename><DOB>2015-10-25</DOB>
      <Sex>F</Sex>
      <BasicDetails><FormerUPN>H999999999999</FormerUPN><Ethnicity>WENG</Ethnicity></BasicDetails>
      <LookedAfter><InCare>true</InCare><CareAuthority>356</CareAuthority></LookedAfter>
      <SENhistory><SEN><StartDate>2021-09-01</StartDate><SENprovision>K</SENprovision></SEN>
        <SEN><StartDate>2023-09-01</StartDate><SENprovision>E</SENprovision></SEN></SENhistory>
      <SchoolHistory><School><LEA>356</LEA><Estab>2001</Estab><EntryDate>2020-09-01</EntryDate></School></SchoolHistory>
    </Pupil>
    <Pupil><UPN>K123456789013</UPN><Surname>Samplewood</Surname><Forename>Madeup</Forename><DOB>2016-02-03</DOB>
      <Gender>M</Gender></Pupil>
  </CTFpupilData>
</CTfile>
"""

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<SuperStarReport><Record><Adno>&lol3;</Adno></Record></SuperStarReport>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<CTfile><CTFpupilData><Pupil><UPN>&x;</UPN></Pupil></CTFpupilData></CTfile>
"""


def test_sims_commandreporter_xml(tmp_path):
    path = tmp_path / "pupils.xml"
    path.write_text(SIMS, encoding="utf-8")
    tables, q = read_unlanded("sims-xml", [path], MIS, "sims")
    pupils = tables["school_pupils"]
    assert pupils["pupil_id"].tolist() == ["001234"]  # zero padding kept
    assert pupils.loc[0, "surname"] == "Fakename"  # Legal_x0020_Surname decoded
    assert pupils.loc[0, "PersonBirthDate"] == dt.datetime(2015, 10, 25)
    assert q[["line", "reason"]].values.tolist() == [[6, "bad_date:PersonBirthDate"]]  # the record's line


def test_sims_error_report_is_refused(tmp_path):
    path = tmp_path / "pupils.xml"
    path.write_text("<CommandReporterError><Message>Login failed</Message></CommandReporterError>")
    with pytest.raises(IngestError, match="pupils.xml: line 1: SIMS returned an error report"):
        read_unlanded("sims-xml", [path], MIS, "sims")


def test_ctf(tmp_path, engine):
    path = tmp_path / "356LLLL_CTF_3562001_001.xml"
    path.write_text(CTF, encoding="utf-8")
    result = ingest_source(source("ctf", "ctf", path, "ctf"), tmp_path / "run", engine, LANDED_AT)
    pupils = result.tables["school_pupils"]
    assert pupils["pupil_id"].tolist() == ["H123456789012", "K123456789013"]
    assert pupils["sen_status"].iloc[0] == "E" and pd.isna(pupils["sen_status"].iloc[1])  # the latest SEN entry
    assert pupils["Sex"].tolist() == ["F", "M"]  # Sex, or Gender in older files
    assert result.counts()["rows_in"] == 5 and result.quarantine.empty and balanced(result)  # 2 pupils, 2 SEN, 1 school


@pytest.mark.parametrize(("kind", "text"), [("sims-xml", BOMB), ("ctf", XXE)])
def test_xml_bomb_and_external_entity_are_refused(tmp_path, kind, text):
    path = tmp_path / "evil.xml"
    path.write_text(text)
    with pytest.raises(IngestError, match="evil.xml: line 2: a DOCTYPE or entity declaration is not accepted"):
        read_unlanded(kind, [path], load_profile("ctf" if kind == "ctf" else "generic-mis"), "x")


def test_truncated_xml_fails_with_line(tmp_path):
    path = tmp_path / "pupils.xml"
    path.write_text(SIMS[: SIMS.index("<Record><Adno>001235")] + "<Record><Adno>0012")
    with pytest.raises(IngestError, match=r"pupils.xml: line \d+: not well-formed XML"):
        read_unlanded("sims-xml", [path], MIS, "sims")


def _workbook(path):
    book = Workbook()
    ws = book.active
    ws.title = "Year 1"
    ws.append(["Pupil list for 2025/26"])
    ws.merge_cells("A1:F1")  # a merged title row above the header
    ws.append([])
    ws.append(["Adno", "UPN", "Name", None, "DOB", "Gender"])
    ws.merge_cells("C3:D3")  # a merged header cell over forename and surname
    ws.append(["001", "H123456789012", "Testy", "Fakename", dt.datetime(2015, 10, 25), "F"])
    ws.append([2.0, "K123456789013", "Madeup", "Samplewood", "03/02/2016", "Q"])
    other = book.create_sheet("Year 2")
    other.append(["Admission Number", "Surname", "Date of Birth", "Sex"])
    other.append(["003", "Nobody", dt.date(2014, 1, 2), "M"])
    book.create_sheet("Empty")
    book.save(path)
    return path


def test_xlsx_several_sheets_title_rows_merged_header(tmp_path, engine):
    path = _workbook(tmp_path / "pupils.xlsx")
    result = ingest_source(source("mis", "xlsx", path, "generic-mis"), tmp_path / "run", engine, LANDED_AT)
    pupils = result.tables["school_pupils"]
    assert sorted(pupils["pupil_id"]) == ["001", "003"]
    assert pupils.set_index("pupil_id").loc["001", "PersonBirthDate"] == dt.datetime(2015, 10, 25)
    assert result.quarantine[["file", "line", "reason"]].values.tolist() == [
        ["pupils.xlsx[Year 1]", 5, "unknown_code:Sex"]]
    assert result.counts()["rows_in"] == 3 and balanced(result)


def test_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "pupils.xlsx"
    path.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(IngestError, match="pupils.xlsx: not a readable .xlsx workbook"):
        read_unlanded("xlsx", [path], MIS, "mis")
