"""ssd_permanence: one AD1 per adopted child whatever number of decisions, and no row lost without a word."""

import pandas as pd

from schemas import canonical
from statreturns.ssd import read_ssd, strip_lineage, write_ssd

D = pd.Timestamp


def _tables(ad1: list[dict], placed: list[dict]) -> dict[str, pd.DataFrame]:
    tables = {name: canonical.empty(name) for name in canonical.MODELS if name != "school_pupils"}
    tables["children"] = canonical.MODELS["children"].validate(pd.DataFrame({
        "child_id": ["C1", "C2"], "Sex": ["F", "M"], "PersonBirthDate": [D("2018-05-01"), D("2019-07-02")],
    }).reindex(columns=tables["children"].columns))
    tables["ad1"] = canonical.MODELS["ad1"].validate(
        pd.DataFrame(ad1).reindex(columns=tables["ad1"].columns))
    tables["placed_for_adoption"] = canonical.MODELS["placed_for_adoption"].validate(
        pd.DataFrame(placed).reindex(columns=tables["placed_for_adoption"].columns))
    return tables


ADOPTION = {"child_id": "C1", "DATE_INT": D("2025-06-01"), "DATE_MATCH": D("2025-08-01"), "FOSTER_CARE": "0",
            "NB_ADOPTR": "2", "SEX_ADOPTR": "MF", "LS_ADOPTR": "L11", "adoption_order_date": D("2026-01-10")}
# An earlier decision, reversed, then the one the child was adopted under.
DECISIONS = [
    {"child_id": "C1", "DATE_PLACED": D("2025-06-01"), "DATE_PLACED_CEASED": pd.NaT, "REASON_PLACED_CEASED": None},
    {"child_id": "C1", "DATE_PLACED": D("2024-05-01"), "DATE_PLACED_CEASED": D("2024-09-01"),
     "REASON_PLACED_CEASED": "RD1"},
    {"child_id": "C2", "DATE_PLACED": D("2025-04-20"), "DATE_PLACED_CEASED": pd.NaT, "REASON_PLACED_CEASED": None},
]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns[:2])).reset_index(drop=True)


def test_two_decisions_and_an_adoption_round_trip(tmp_path):
    tables = _tables([ADOPTION], DECISIONS)
    write_ssd(tables, tmp_path)
    written = pd.read_csv(tmp_path / "ssd_permanence.csv", dtype="str")
    assert written["perm_permanence_order_date"].notna().sum() == 1  # AD1 on one row only
    ad1_row = written.loc[written["perm_permanence_order_date"].notna()].iloc[0]
    assert pd.isna(ad1_row["perm_decision_reversed_date"])  # on the decision not reversed
    read = read_ssd(tmp_path)
    assert read.quarantine.empty
    back = strip_lineage(read.tables)
    assert len(back["ad1"]) == 1
    pd.testing.assert_frame_equal(back["ad1"].reset_index(drop=True), tables["ad1"], check_dtype=False)
    pd.testing.assert_frame_equal(_sorted(back["placed_for_adoption"]), _sorted(tables["placed_for_adoption"]),
                                  check_dtype=False)


def test_all_decisions_reversed_ad1_goes_on_the_latest(tmp_path):
    reversed_all = [dict(DECISIONS[0], DATE_PLACED_CEASED=D("2025-07-01"), REASON_PLACED_CEASED="RD1"), DECISIONS[1]]
    tables = _tables([ADOPTION], reversed_all)
    write_ssd(tables, tmp_path)
    written = pd.read_csv(tmp_path / "ssd_permanence.csv", dtype="str")
    carrying = written.loc[written["perm_permanence_order_date"].notna()]
    assert len(carrying) == 1
    assert (carrying["perm_placed_for_adoption_date"] == "2025-06-01").all()
    read = read_ssd(tmp_path)
    assert read.quarantine.empty
    assert len(read.tables["ad1"]) == 1 and len(read.tables["placed_for_adoption"]) == 2


def _written(tmp_path) -> pd.DataFrame:
    write_ssd(_tables([ADOPTION], DECISIONS), tmp_path)
    return pd.read_csv(tmp_path / "ssd_permanence.csv", dtype="str")


AD1_FIELDS = ["perm_adm_decision_date", "perm_matched_date", "perm_adopted_by_carer_flag", "perm_number_of_adopters",
              "perm_adopter_sex", "perm_adopter_legal_status", "perm_permanence_order_date"]


def _copy_ad1_to_every_row_of_the_child(frame: pd.DataFrame) -> pd.DataFrame:
    """What an extract joining each decision to the child's adoption gives: AD1 repeated on every row."""
    mine = frame["perm_person_id"] == "C1"
    source = frame.loc[mine & frame["perm_permanence_order_date"].notna(), AD1_FIELDS].iloc[0]
    frame.loc[mine, AD1_FIELDS] = source.to_numpy()
    return frame


def test_identical_repeated_ad1_copies_read_as_one(tmp_path):
    frame = _copy_ad1_to_every_row_of_the_child(_written(tmp_path))
    # The same date in the other accepted format is still the same AD1.
    second = frame.index[(frame["perm_person_id"] == "C1").to_numpy()][1]
    frame.loc[second, "perm_matched_date"] = "01/08/2025"
    frame.to_csv(tmp_path / "ssd_permanence.csv", index=False)
    read = read_ssd(tmp_path)
    assert read.quarantine.empty
    assert len(read.tables["ad1"]) == 1
    assert len(read.tables["placed_for_adoption"]) == 3


def test_conflicting_ad1_copies_are_quarantined(tmp_path):
    frame = _copy_ad1_to_every_row_of_the_child(_written(tmp_path))
    mine = frame.index[(frame["perm_person_id"] == "C1").to_numpy()]
    frame.loc[mine[1], "perm_number_of_adopters"] = "1"
    frame.to_csv(tmp_path / "ssd_permanence.csv", index=False)
    read = read_ssd(tmp_path)
    q = read.quarantine
    assert len(q) == 2
    assert set(q["reason"]) == {"ad1_copies_differ"}
    assert set(q["line"]) == set(mine + 2)
    assert read.tables["ad1"].empty
    assert len(read.tables["placed_for_adoption"]) == 3  # the decisions themselves are sound


def test_permanence_row_without_dates_is_quarantined_not_dropped(tmp_path):
    frame = _written(tmp_path)
    blank = {c: None for c in frame.columns if c not in ("perm_table_id", "perm_person_id")}
    no_dates = {"perm_table_id": "PMX1", "perm_person_id": "C2", **blank, "perm_adopter_sex": "F1"}
    reversal_only = {"perm_table_id": "PMX2", "perm_person_id": "C2", **blank,
                     "perm_decision_reversed_date": "2025-05-01", "perm_decision_reversed_reason": "RD1"}
    frame = pd.concat([frame, pd.DataFrame([no_dates, reversal_only])], ignore_index=True)
    frame.to_csv(tmp_path / "ssd_permanence.csv", index=False)
    read = read_ssd(tmp_path)
    q = read.quarantine
    assert len(q) == 2
    assert set(q["file"]) == {"ssd_permanence.csv"}
    assert set(q["line"]) == {len(frame), len(frame) + 1}
    assert set(q["reason"]) == {"no_placed_for_adoption_or_adoption_date", "decision_reversed_without_its_date"}
    landed = read.rows_in["ssd_permanence"] - q["line"].nunique()
    assert landed == len(frame) - 2
    assert len(read.tables["placed_for_adoption"]) == 3 and len(read.tables["ad1"]) == 1
