"""The in-care flag and care authority through the school model, the generic-mis and CTF profiles."""

from __future__ import annotations

import pandas as pd

from schemas import canonical
from statreturns.ingest.profiles import load_profile
from statreturns.ingest.run import read_unlanded
from statreturns.school import read_pupils, write_pupils
from tests.ingest.test_xml_and_xlsx import CTF


def _roll() -> pd.DataFrame:
    frame = canonical.empty("school_pupils").reindex(range(3))
    frame["pupil_id"] = ["S1", "S2", "S3"]
    frame["UPN"] = ["A123456789012", "B123456789013", None]
    frame["PersonBirthDate"] = pd.to_datetime(["2015-06-01", "2012-03-03", "2013-02-02"])
    frame["Sex"] = ["F", "M", "F"]
    frame["InCare"] = pd.array([True, False, None], dtype="boolean")
    frame["CareAuthority"] = ["356", None, None]
    return frame


def test_generic_mis_round_trip_keeps_in_care_and_authority(tmp_path):
    path = write_pupils(_roll(), tmp_path / "pupils.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("In Care,Care Authority")
    pupils, quarantine = read_pupils(path)
    assert quarantine.empty
    assert pupils["InCare"].tolist() == [True, False, pd.NA]
    assert pupils["CareAuthority"].tolist()[0] == "356" and pupils["CareAuthority"].isna().tolist()[1:] == [True, True]


def test_generic_mis_other_spellings_and_no_flag_at_all(tmp_path):
    path = tmp_path / "arbor.csv"
    path.write_text("Admission Number,UPN,Date of Birth,Sex,Looked After,Looked After By\n"
                    "001,A123456789012,01/06/2015,F,Y,356\n002,B123456789013,03/03/2012,M,N,\n", encoding="utf-8")
    pupils, _ = read_pupils(path)
    assert pupils["InCare"].tolist() == [True, False] and pupils["CareAuthority"].tolist()[0] == "356"
    bare = tmp_path / "bare.csv"
    bare.write_text("Adno,UPN,DOB,Gender\n001,A123456789012,01/06/2015,F\n", encoding="utf-8")
    pupils, quarantine = read_pupils(bare)
    assert quarantine.empty and pupils["InCare"].isna().all()


def test_bad_in_care_flag_is_quarantined_not_dropped(tmp_path):
    path = tmp_path / "pupils.csv"
    path.write_text("Adno,UPN,DOB,Gender,In Care\n001,A123456789012,01/06/2015,F,perhaps\n"
                    "002,B123456789013,03/03/2012,M,No\n", encoding="utf-8")
    pupils, quarantine = read_pupils(path)
    assert pupils["pupil_id"].tolist() == ["002"]
    assert quarantine["reason"].tolist() == ["bad_flag:InCare"] and quarantine["line"].tolist() == [2]


def test_ctf_carries_in_care_and_care_authority(tmp_path):
    path = tmp_path / "356LLLL_CTF_3562001_001.xml"
    path.write_text(CTF, encoding="utf-8")
    tables, quarantine = read_unlanded("ctf", [path], load_profile("ctf"), "ctf")
    pupils = tables["school_pupils"]
    assert quarantine.empty
    assert pupils["InCare"].tolist() == [True, pd.NA]
    assert pupils["CareAuthority"].tolist()[0] == "356" and pd.isna(pupils["CareAuthority"].iloc[1])


def test_warehouse_keeps_in_care_and_authority(tmp_path):
    import sqlalchemy as sa

    from statreturns import warehouse

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    try:
        warehouse.write_tables(engine, {"school_pupils": _roll()})
        back = warehouse.read_table(engine, "school_pupils")
    finally:
        engine.dispose()
    assert back["InCare"].tolist() == [True, False, pd.NA]
    assert back["CareAuthority"].tolist()[0] == "356" and back["CareAuthority"].isna().tolist()[1:] == [True, True]
