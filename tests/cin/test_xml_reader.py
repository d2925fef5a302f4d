"""The CIN census XML reader: samples, the raw-frame contract, year variants and hostile input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from statreturns.cin.tables import COLUMNS
from statreturns.cin.xml_reader import CinReadError, read_cin_xml

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "cin"
SAMPLE_FILES = sorted(SAMPLES.glob("*.xml"))
assert SAMPLE_FILES, f"the CIN samples the tests carry are missing from {SAMPLES}"

HEADER = """<Header>
    <CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>
      <ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>921</LEA><SoftwareCode>synthetic</SoftwareCode>
      <Release>1</Release><SerialNo>001</SerialNo><DateTime>{year}-04-01T09:00:00</DateTime></Source>
  </Header>"""

CHILD_A = """<Child>
      <ChildIdentifiers>
        <LAchildID>SYNA1</LAchildID>
        <UPN>A123456789012</UPN>
        <PersonBirthDate>2015-06-01</PersonBirthDate>
        <{sex}>{sex_value}</{sex}>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
        <Disabilities><Disability>HAND</Disability><Disability>VIS</Disability></Disabilities>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2025-05-01</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <DateOfInitialCPC>2025-05-20</DateOfInitialCPC>
        <Assessments>
          <AssessmentActualStartDate>2025-05-02</AssessmentActualStartDate>
          <AssessmentAuthorisationDate>2025-05-10</AssessmentAuthorisationDate>
          <FactorsIdentifiedAtAssessment>
            <AssessmentFactors>1B</AssessmentFactors><AssessmentFactors>3A</AssessmentFactors>
          </FactorsIdentifiedAtAssessment>
        </Assessments>
        <Assessments>
          <AssessmentActualStartDate>2025-06-02</AssessmentActualStartDate>
          <FactorsIdentifiedAtAssessment/>
        </Assessments>
        <Section47>
          <S47ActualStartDate>2025-05-03</S47ActualStartDate>
          <DateOfInitialCPC>2025-05-19</DateOfInitialCPC>
          <ICPCnotRequired>TRUE</ICPCnotRequired>
        </Section47>
        <ReferralNFA>false</ReferralNFA>
        <ChildProtectionPlans>
          <CPPstartDate>2025-05-20</CPPstartDate>
          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>0</NumberOfPreviousCPP>
          <Reviews><CPPreviewDate>2025-08-01</CPPreviewDate><CPPreviewDate>2025-11-01</CPPreviewDate></Reviews>
        </ChildProtectionPlans>
        {extra}
      </CINdetails>
      <CINdetails>
        <CINreferralDate>2025-09-01</CINreferralDate>
        <ReferralSource>2A</ReferralSource>
        <ReferralNFA>1</ReferralNFA>
      </CINdetails>
    </Child>"""

CHILD_B = """<Child>
      <ChildIdentifiers><LAchildID>SYNB2</LAchildID><{sex}>{sex_value}</{sex}></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>NOBT</Ethnicity></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2025-10-01</CINreferralDate>
        <ReferralSource>6</ReferralSource>
        <Assessments><AssessmentActualStartDate>2025-10-02</AssessmentActualStartDate></Assessments>
        <CINPlanDates><CINPlanStartDate>2025-10-10</CINPlanStartDate></CINPlanDates>
        <ReferralNFA>0</ReferralNFA>
        <ChildProtectionPlans>
          <CPPstartDate>2025-10-20</CPPstartDate>
          <InitialCategoryOfAbuse>PHY</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>EMO</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>1</NumberOfPreviousCPP>
          <Reviews><CPPreviewDate>2025-12-01</CPPreviewDate></Reviews>
        </ChildProtectionPlans>
      </CINdetails>
    </Child>"""

PRE_PROCEEDINGS = """<PreProceedingsandFGDM>
          <PPStartDate>2026-09-09</PPStartDate><LBPSentDate>2026-09-20</LBPSentDate>
          <FGDMMeetingOffer>true</FGDMMeetingOffer><FGDMMeetingFac>0</FGDMMeetingFac>
          <InitialPPMeetingDate>2026-09-28</InitialPPMeetingDate><ReviewMeetingsCount>3</ReviewMeetingsCount>
          <StepDecisionDate>2026-12-01</StepDecisionDate><PPOutcome>A</PPOutcome>
          <CourtAppDate>2026-12-18</CourtAppDate><LetterInitCPDate>2027-02-05</LetterInitCPDate>
        </PreProceedingsandFGDM>"""


def census(year: int = 2026, *, sex: str = "Sex", a: str = "F", b: str = "M", extra: str = "",
           xmlns: str = "", header: bool = True) -> str:
    head = HEADER.format(year=year) if header else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Message{xmlns}>\n  {head}\n  <Children>\n    '
            + CHILD_A.format(sex=sex, sex_value=a, extra=extra) + "\n    "
            + CHILD_B.format(sex=sex, sex_value=b) + "\n  </Children>\n</Message>\n")


def write(tmp_path: Path, text: str, name: str = "census.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_raw_contract(frames: dict[str, pd.DataFrame]) -> None:
    assert list(frames) == list(COLUMNS)
    for name, frame in frames.items():
        assert list(frame.columns) == COLUMNS[name], name
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0, name
        for col in frame.columns:
            assert all(v is None or isinstance(v, str) for v in frame[col]), (name, col)


# --- samples ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_sample_reads_into_the_raw_contract(path: Path) -> None:
    cin = read_cin_xml(path)
    assert_raw_contract(cin.frames)
    tree = etree.parse(str(path))
    assert len(cin.frames["ChildIdentifiers"]) == len(tree.findall("Children/Child"))
    assert len(cin.frames["ChildCharacteristics"]) == len(tree.findall("Children/Child"))
    assert len(cin.frames["CINdetails"]) == len(tree.findall("Children/Child/CINdetails"))
    assert cin.frames["CINdetails"]["CINdetailsID"].tolist() == [str(i) for i in range(len(cin.frames["CINdetails"]))]
    assert cin.year == int(tree.findtext("Header/CollectionDetails/Year"))
    assert cin.lea == tree.findtext("Header/Source/LEA")


def test_sample_with_pre_proceedings_block() -> None:
    pre = read_cin_xml(SAMPLES / "CIN_Census_2026.xml").frames["PreProceedings"]
    assert len(pre) == 1
    assert pre.loc[0, "PPOutcome"] == "A" and pre.loc[0, "CINdetailsID"] == "0"


# --- the raw-frame contract on a synthetic file ---------------------------------------------------------

def test_rows_keys_and_file_wide_counters(tmp_path: Path) -> None:
    cin = read_cin_xml(write(tmp_path, census()))
    f = cin.frames
    assert_raw_contract(f)
    assert (cin.year, cin.lea) == (2026, "921")
    assert f["ChildIdentifiers"]["LAchildID"].tolist() == ["SYNA1", "SYNB2"]
    assert f["Disabilities"].values.tolist() == [["SYNA1", "HAND"], ["SYNA1", "VIS"]]
    assert f["CINdetails"][["LAchildID", "CINdetailsID"]].values.tolist() == [
        ["SYNA1", "0"], ["SYNA1", "1"], ["SYNB2", "2"]]
    # AssessmentID and CPPID run across the whole file, not per child or per episode.
    assert f["Assessments"][["LAchildID", "CINdetailsID", "AssessmentID"]].values.tolist() == [
        ["SYNA1", "0", "0"], ["SYNA1", "0", "1"], ["SYNB2", "2", "2"]]
    assert f["AssessmentFactorsList"][["AssessmentID", "AssessmentFactors"]].values.tolist() == [
        ["0", "1B"], ["0", "3A"]]  # the empty <FactorsIdentifiedAtAssessment/> adds no row
    assert f["ChildProtectionPlans"][["CINdetailsID", "CPPID"]].values.tolist() == [["0", "0"], ["2", "1"]]
    assert f["Reviews"][["CPPID", "CPPreviewDate"]].values.tolist() == [
        ["0", "2025-08-01"], ["0", "2025-11-01"], ["1", "2025-12-01"]]
    assert f["CINplanDates"][["CINdetailsID", "CINPlanStartDate", "CINPlanEndDate"]].values.tolist() == [
        ["2", "2025-10-10", None]]
    # DateOfInitialCPC exists both in CINdetails and Section47: each block keeps its own.
    assert f["CINdetails"]["DateOfInitialCPC"].tolist() == ["2025-05-20", None, None]
    assert f["Section47"]["DateOfInitialCPC"].tolist() == ["2025-05-19"]
    assert f["PreProceedings"].empty


@pytest.mark.parametrize("empty", ["<Reviews/>", "<Reviews></Reviews>", "<Reviews>\n  </Reviews>",
                                   "<Reviews><CPPreviewDate/></Reviews>"])
def test_an_empty_reviews_group_is_kept_as_a_review_without_a_date(tmp_path: Path, empty: str) -> None:
    from schemas.rules.cin import CIN
    from statreturns.validate import validate_cin

    text = census().replace("<Reviews><CPPreviewDate>2025-12-01</CPPreviewDate></Reviews>", empty)
    cin = read_cin_xml(write(tmp_path, text))
    assert_raw_contract(cin.frames)
    assert cin.frames["Reviews"][["LAchildID", "CINdetailsID", "CPPID", "CPPreviewDate"]].values.tolist() == [
        ["SYNA1", "0", "0", "2025-08-01"], ["SYNA1", "0", "0", "2025-11-01"], ["SYNB2", "2", "1", None]]
    # 8842Q queries the group; the date rules (4003, 8841) have no date to compare and stay silent on it.
    issues = validate_cin(cin.frames, 2026).issues
    assert issues.loc[issues["rule_code"] == "8842Q", ["table", "row"]].values.tolist() == [["Reviews", 2]]
    assert not issues["rule_code"].isin(["4003", "8841"]).any()
    assert {"4003", "8841", "8842Q"} <= set(CIN.codes())


def test_yes_no_items_are_kept_as_written(tmp_path: Path) -> None:
    f = read_cin_xml(write(tmp_path, census())).frames
    assert f["CINdetails"]["ReferralNFA"].tolist() == ["false", "1", "0"]
    assert f["Section47"]["ICPCnotRequired"].tolist() == ["TRUE"]


@pytest.mark.parametrize(("year", "element", "a", "b"), [(2023, "GenderCurrent", "2", "1"),
                                                          (2024, "GenderCurrent", "0", "9"),
                                                          (2025, "Sex", "F", "U"), (2026, "Sex", "M", "F")])
def test_gender_current_to_2024_and_sex_from_2025(tmp_path: Path, year: int, element: str, a: str,
                                                  b: str) -> None:
    cin = read_cin_xml(write(tmp_path, census(year, sex=element, a=a, b=b)))
    ids = cin.frames["ChildIdentifiers"]
    other = "Sex" if element == "GenderCurrent" else "GenderCurrent"
    assert ids[element].tolist() == [a, b]
    assert ids[other].tolist() == [None, None]
    assert cin.year == year


def test_2027_pre_proceedings_block(tmp_path: Path) -> None:
    pre = read_cin_xml(write(tmp_path, census(2027, extra=PRE_PROCEEDINGS))).frames["PreProceedings"]
    assert pre.loc[0, ["LAchildID", "CINdetailsID"]].tolist() == ["SYNA1", "0"]
    assert pre.loc[0, COLUMNS["PreProceedings"][2:]].tolist() == [
        "2026-09-09", "2026-09-20", "true", "0", "2026-09-28", "3", "2026-12-01", "A", "2026-12-18", "2027-02-05"]


def test_namespaces_are_ignored(tmp_path: Path) -> None:
    plain = read_cin_xml(write(tmp_path, census(), "plain.xml"))
    spaced = read_cin_xml(write(tmp_path, census(xmlns=' xmlns="urn:example:cin"'), "ns.xml"))
    for name in COLUMNS:
        pd.testing.assert_frame_equal(plain.frames[name], spaced.frames[name])


def test_text_is_stripped_blank_is_none_comments_ignored(tmp_path: Path) -> None:
    text = census().replace("<UPN>A123456789012</UPN>", "<UPN>   </UPN><!-- note --><?pi x?>")
    text = text.replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity>\n   WBRI  </Ethnicity>")
    f = read_cin_xml(write(tmp_path, text)).frames
    assert f["ChildIdentifiers"].loc[0, "UPN"] is None
    assert f["ChildCharacteristics"]["Ethnicity"].tolist() == ["WBRI", "NOBT"]


def test_missing_header_gives_no_year_or_lea(tmp_path: Path) -> None:
    cin = read_cin_xml(write(tmp_path, census(header=False)))
    assert (cin.year, cin.lea) == (None, None)
    assert cin.frames["Header"].empty and list(cin.frames["Header"].columns) == COLUMNS["Header"]
    assert len(cin.frames["ChildIdentifiers"]) == 2


def test_child_without_identifiers_still_gives_one_row_per_child(tmp_path: Path) -> None:
    text = census().replace("<ChildIdentifiers><LAchildID>SYNB2</LAchildID><Sex>M</Sex></ChildIdentifiers>", "")
    f = read_cin_xml(write(tmp_path, text)).frames
    assert f["ChildIdentifiers"]["LAchildID"].tolist() == ["SYNA1", None]
    assert f["CINdetails"]["LAchildID"].tolist() == ["SYNA1", "SYNA1", None]


# --- refused input: clear errors, never a data value ------------------------------------------------------

SECRET = "SECRETCHILD9"


def assert_refused(path: Path, line: int | None = None) -> str:
    with pytest.raises(CinReadError) as info:
        read_cin_xml(path)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert path.name in message
    assert "line " in message and "line unknown" not in message
    if line is not None:
        assert f"line {line}:" in message
    assert SECRET not in message
    assert "root:" not in message and "lol" not in message
    return message


def test_truncated_file_is_refused_with_its_line(tmp_path: Path) -> None:
    text = census().replace("SYNB2", SECRET)
    cut = text[: text.index(SECRET) + 5]
    message = assert_refused(write(tmp_path, cut, "cut.xml"), line=cut.count("\n") + 1)
    assert "not well-formed" in message


def test_mismatched_tag_is_refused(tmp_path: Path) -> None:
    text = census().replace("<LAchildID>SYNA1</LAchildID>", f"<LAchildID>{SECRET}</LAchildid>")
    line = text[: text.index(SECRET)].count("\n") + 1
    assert "closing tag" in assert_refused(write(tmp_path, text), line=line)


@pytest.mark.parametrize("text", ["", "  \n  ", '<?xml version="1.0"?>\n'])
def test_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    assert "empty" in assert_refused(write(tmp_path, text, "empty.xml"))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Message [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<{root}><Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID></ChildIdentifiers></Child></Children></{root}>
"""


@pytest.mark.parametrize("root", ["Message", "lolz"])
def test_billion_laughs_is_refused(tmp_path: Path, root: str) -> None:
    message = assert_refused(write(tmp_path, BILLION_LAUGHS.format(root=root), "bomb.xml"), line=2)
    assert "DOCTYPE" in message


def test_external_entity_is_refused_and_not_fetched(tmp_path: Path) -> None:
    text = ('<?xml version="1.0"?>\n<!DOCTYPE Message [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
            "<Message><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID></ChildIdentifiers>"
            "</Child></Children></Message>\n")
    assert "DOCTYPE" in assert_refused(write(tmp_path, text, "xxe.xml"), line=2)


def test_external_dtd_is_refused(tmp_path: Path) -> None:
    text = '<?xml version="1.0"?>\n<!DOCTYPE Message SYSTEM "file:///etc/passwd">\n' + census().split("\n", 1)[1]
    assert "DOCTYPE" in assert_refused(write(tmp_path, text, "dtd.xml"), line=2)


def test_undeclared_entity_is_refused_at_its_line(tmp_path: Path) -> None:
    text = census().replace("<LAchildID>SYNA1</LAchildID>", "<LAchildID>&secret;</LAchildID>")
    line = text[: text.index("&secret;")].count("\n") + 1
    assert "entity" in assert_refused(write(tmp_path, text), line=line)


def test_wrong_root_is_not_a_cin_census(tmp_path: Path) -> None:
    text = census().replace("<Message>", "<Return>").replace("</Message>", "</Return>")
    assert "not a CIN census" in assert_refused(write(tmp_path, text, "other.xml"), line=2)


def test_message_without_children_is_not_a_cin_census(tmp_path: Path) -> None:
    text = f'<?xml version="1.0"?>\n<Message>\n  {HEADER.format(year=2026)}\n</Message>\n'
    assert "no <Children>" in assert_refused(write(tmp_path, text, "nochildren.xml"), line=2)


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_cin_xml(tmp_path / "absent.xml")
