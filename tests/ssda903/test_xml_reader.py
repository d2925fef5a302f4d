"""The SSDA903 XML reader: the sample file, the nested blocks, and refusing unsafe or broken XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from statreturns.ssda903.tables import COLUMNS
from statreturns.ssda903.xml_reader import Ssda903ReadError, read_xml

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "ssda903"
SAMPLE_XML = SAMPLES / "fake_903.xml"

CHILD_XML = """<?xml version="1.0" encoding="UTF-8"?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID> 0042 </CHILDID><UPN>UN1</UPN><SEX>M</SEX><DOB>01/02/2010</DOB><ETHNIC>WBRI</ETHNIC>
      <UASC>1</UASC><DUC>01/02/2028</DUC><MOTHER/><MC_DOB></MC_DOB><IN_TOUCH>YES</IN_TOUCH>
      <ACTIV>F1</ACTIV><ACCOM>B1</ACCOM><NICKNAME>x</NICKNAME>
      <AREVIEW><REVIEW>01/05/2025</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
      <AREVIEW><REVIEW>01/11/2025</REVIEW><REVIEW_CODE>PN2</REVIEW_CODE></AREVIEW>
      <AMISSING><MISSING>M</MISSING><MIS_START>02/06/2025</MIS_START><MIS_END/></AMISSING>
      <OC2><SDQ_SCORE>12</SDQ_SCORE><CONVICTED>0</CONVICTED></OC2>
      <PERMANENCE><PREV_PERM>Z1</PREV_PERM></PERMANENCE>
      <AD_PLACED><DATE_PLACED>03/03/2025</DATE_PLACED></AD_PLACED>
      <GADGET><A>1</A></GADGET>
    </HEADER>
    <EPISODE><DECOM>01/04/2025</DECOM><RNE>S</RNE><PL>K2</PL><PL_POST>AB1 2CD</PL_POST></EPISODE>
    <EPISODE><DECOM>01/09/2025</DECOM><RNE>P</RNE><PL>U1</PL></EPISODE>
    <SW_EPISODE><SW_ID>SW1</SW_ID><SW_DECOM>01/04/2025</SW_DECOM></SW_EPISODE>
    <DOLO><DOLO_START>01/05/2025</DOLO_START></DOLO>
  </CHILD>
  <CHILD><HEADER><CHILDID>7</CHILDID><DOB>05/05/2012</DOB><UASC>0</UASC></HEADER></CHILD>
</EXPSSDA903>
"""


def write(tmp_path: Path, text: str, name: str = "return.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_xml_reads_into_the_tables():
    result = read_xml(SAMPLE_XML)
    assert result.problems == []
    sizes = {name: len(frame) for name, frame in result.tables.items()}
    assert sizes == {"Header": 253, "Episodes": 459, "Reviews": 1206, "UASC": 12, "OC2": 253, "OC3": 6,
                     "AD1": 3, "PlacedAdoption": 3, "PrevPerm": 253, "Missing": 6}
    episodes = result.tables["Episodes"]
    assert list(episodes.columns) == COLUMNS["Episodes"]
    assert episodes["PLACE"].notna().all()
    assert result.tables["Reviews"]["DOB"].notna().all()


def test_blocks_go_to_their_tables_with_child_and_dob(tmp_path):
    result = read_xml(write(tmp_path, CHILD_XML))
    t = result.tables
    assert t["Header"]["CHILD"].tolist() == ["0042", "7"]
    assert t["Header"]["UASC"].tolist() == ["1", "0"]  # the XML flag, kept for rule 105
    assert t["Header"]["MOTHER"].tolist() == [None, None]
    assert t["Header"]["NICKNAME"].tolist() == ["x", None]
    assert "DUC" not in t["Header"].columns
    assert t["Reviews"][["CHILD", "DOB", "REVIEW_CODE"]].values.tolist() == [
        ["0042", "01/02/2010", "PN1"], ["0042", "01/02/2010", "PN2"]]
    assert t["Missing"]["MIS_END"].tolist() == [None]
    assert t["OC2"]["SDQ_SCORE"].tolist() == ["12"]
    assert t["PrevPerm"]["PREV_PERM"].tolist() == ["Z1"]
    assert t["PlacedAdoption"]["DATE_PLACED"].tolist() == ["03/03/2025"]
    assert t["Episodes"]["PLACE"].tolist() == ["K2", "U1"]
    assert t["Episodes"]["CHILD"].tolist() == ["0042", "0042"]
    assert t["UASC"][["CHILD", "SEX", "DUC"]].values.tolist() == [["0042", "M", "01/02/2028"]]
    assert t["OC3"][["CHILD", "IN_TOUCH"]].values.tolist() == [["0042", "YES"]]
    assert t["AD1"].empty and list(t["AD1"].columns) == COLUMNS["AD1"]
    assert t["SWEpisodes"][["CHILD", "DOB", "SW_ID"]].values.tolist() == [["0042", "01/02/2010", "SW1"]]
    assert t["DoLo"]["DOLO_START"].tolist() == ["01/05/2025"]
    assert [p.reason for p in result.problems] == ["element GADGET not recognised; 1 ignored"]


def test_sw_and_dolo_tables_absent_when_the_file_has_none(tmp_path):
    text = "<EXPSSDA903><CHILD><HEADER><CHILDID>1</CHILDID></HEADER></CHILD></EXPSSDA903>"
    tables = read_xml(write(tmp_path, text)).tables
    assert "SWEpisodes" not in tables and "DoLo" not in tables
    assert tables["Episodes"].empty and list(tables["Episodes"].columns) == COLUMNS["Episodes"]


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<EXPSSDA903><CHILD><HEADER><CHILDID>&lol4;</CHILDID></HEADER></CHILD></EXPSSDA903>
"""


def test_entity_bomb_is_refused(tmp_path):
    with pytest.raises(Ssda903ReadError, match="return.xml") as info:
        read_xml(write(tmp_path, BOMB))
    assert "lol" not in str(info.value)


def test_external_entity_is_refused_and_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    text = (f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
            "<EXPSSDA903><CHILD><HEADER><CHILDID>&xxe;</CHILDID></HEADER></CHILD></EXPSSDA903>\n")
    with pytest.raises(Ssda903ReadError) as info:
        read_xml(write(tmp_path, text))
    assert "TOPSECRET" not in str(info.value)


def test_malformed_xml_names_file_and_line(tmp_path):
    text = "<EXPSSDA903>\n<CHILD><HEADER><CHILDID>C99</CHILDID></HEADER>\n<EPISODE></CHILD>\n</EXPSSDA903>\n"
    with pytest.raises(Ssda903ReadError) as info:
        read_xml(write(tmp_path, text, "bad.xml"))
    assert isinstance(info.value, ValueError)
    assert "bad.xml" in str(info.value) and "line 3" in str(info.value)
    assert "C99" not in str(info.value)


def test_wrong_root_is_refused(tmp_path):
    with pytest.raises(Ssda903ReadError, match="root element"):
        read_xml(write(tmp_path, "<Message><CHILD/></Message>"))


def test_undeclared_entity_is_malformed(tmp_path):
    with pytest.raises(Ssda903ReadError, match="malformed"):
        text = "<EXPSSDA903><CHILD><HEADER><CHILDID>&x;</CHILDID></HEADER></CHILD></EXPSSDA903>"
        read_xml(write(tmp_path, text))
