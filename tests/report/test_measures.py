import pandas as pd

from statreturns.report import trend
from statreturns.report.measures import TREND_COLUMNS, children_by_need, episodes_by_month
from tests.report.frames import frame


def _row(t: pd.DataFrame, measure: str, category: str = "All") -> tuple[int, int, int]:
    hit = t[(t["measure"] == measure) & (t["category"] == category)]
    assert len(hit) == 1, f"{measure} / {category}: {len(hit)} rows"
    r = hit.iloc[0]
    return int(r["last_year"]), int(r["this_year"]), int(r["change"])


def _cin_tables() -> dict[str, pd.DataFrame]:
    episodes = frame("cin_episodes", [
        # open across both periods (2024-25 and 2025-26)
        {"episode_id": "E1", "child_id": "C1", "CINreferralDate": "2024-06-01", "PrimaryNeedCode": "N1"},
        # started and closed last year
        {"episode_id": "E2", "child_id": "C2", "CINreferralDate": "2024-05-01", "CINclosureDate": "2024-09-01",
         "PrimaryNeedCode": "N4"},
        # started this year, no primary need recorded
        {"episode_id": "E3", "child_id": "C3", "CINreferralDate": "2025-04-01", "PrimaryNeedCode": None},
        # the same child twice this year: counted once among children, twice among referrals
        {"episode_id": "E4", "child_id": "C4", "CINreferralDate": "2025-05-01", "CINclosureDate": "2025-06-01",
         "PrimaryNeedCode": "N4"},
        {"episode_id": "E5", "child_id": "C4", "CINreferralDate": "2026-03-31", "PrimaryNeedCode": "N5"},
        # closed before the earlier period: in neither
        {"episode_id": "E6", "child_id": "C5", "CINreferralDate": "2022-01-01", "CINclosureDate": "2023-03-31",
         "PrimaryNeedCode": "N1"},
        # referred after 31 March 2026: in neither
        {"episode_id": "E7", "child_id": "C6", "CINreferralDate": "2026-04-01", "PrimaryNeedCode": "N1"},
    ])
    plans = frame("cp_plans", [
        {"cpp_id": "P1", "episode_id": "E1", "child_id": "C1", "CPPstartDate": "2024-07-01",
         "CPPendDate": "2025-05-01", "InitialCategoryOfAbuse": "NEG"},
        {"cpp_id": "P2", "episode_id": "E3", "child_id": "C3", "CPPstartDate": "2025-10-01",
         "InitialCategoryOfAbuse": "EMO"},
    ])
    return {"cin_episodes": episodes, "cp_plans": plans}


def test_trend_counts_open_and_started_in_each_period():
    t = trend(_cin_tables(), 2026)
    assert list(t.columns) == TREND_COLUMNS
    assert _row(t, "Children in need (open in period)") == (2, 3, 1)  # C1, C2 | C1, C3, C4
    assert _row(t, "Referrals (started in period)") == (2, 3, 1)  # E1, E2 | E3, E4, E5
    assert _row(t, "Referrals by primary need (started in period)", "N4 Family in acute stress") == (1, 1, 0)
    assert _row(t, "Referrals by primary need (started in period)", "N5 Family dysfunction") == (0, 1, 1)
    assert _row(t, "Referrals by primary need (started in period)", "N1 Abuse, neglect and exploitation") == (1, 0, -1)
    assert _row(t, "Referrals by primary need (started in period)", "Not recorded") == (0, 1, 1)
    assert _row(t, "Child protection plans (open in period)") == (1, 2, 1)
    assert _row(t, "Child protection plans (started in period)") == (1, 1, 0)
    assert _row(t, "Child protection plans by initial category of abuse (started in period)",
                "EMO Emotional abuse") == (0, 1, 1)


def test_not_recorded_comes_last_in_a_breakdown():
    t = trend(_cin_tables(), 2026)
    cats = t.loc[t["measure"] == "Referrals by primary need (started in period)", "category"].tolist()
    assert cats[-1] == "Not recorded" and cats[:-1] == sorted(cats[:-1])


def test_looked_after_episodes_by_legal_status_and_placement():
    la = frame("la_episodes", [
        {"child_id": "C1", "DECOM": "2024-05-01", "DEC": "2025-06-30", "LS": "C1", "PLACE": "U4"},
        {"child_id": "C1", "DECOM": "2025-06-30", "LS": "C2", "PLACE": "U4"},
        {"child_id": "C2", "DECOM": "2025-12-01", "DEC": "2026-01-10", "LS": "V2", "PLACE": "Z11"},
    ])
    t = trend({"la_episodes": la}, 2026)
    assert _row(t, "Looked-after children (open in period)") == (1, 2, 1)
    assert _row(t, "Looked-after episodes (open in period)") == (1, 3, 2)
    assert _row(t, "Looked-after episodes (started in period)") == (1, 2, 1)
    assert _row(t, "Looked-after episodes by legal status (open in period)", "C2 Full care order") == (0, 1, 1)
    assert _row(t, "Looked-after episodes by placement type (open in period)",
                "U4 Other foster carer, long term") == (1, 2, 1)
    assert _row(t, "Looked-after episodes by placement type (open in period)", "Z11") == (0, 1, 1)


def test_absent_tables_count_as_zero():
    t = trend({}, 2026)
    totals = t[t["category"] == "All"]
    assert len(totals) == 11
    assert (totals[["last_year", "this_year", "change"]] == 0).all().all()


def test_children_by_need_uses_each_childs_latest_open_episode():
    counts = children_by_need(_cin_tables(), 2026).set_index("code")
    assert counts.loc["N5", "this_year"] == 1  # C4's later episode wins over its N4 one
    assert counts.loc["N4", "this_year"] == 0 and counts.loc["N4", "last_year"] == 1
    assert counts.loc["Not recorded", "this_year"] == 1
    assert counts["this_year"].sum() == 3 and counts.index[-1] == "Not recorded"


def test_episodes_by_month_counts_an_episode_in_each_month_it_is_open():
    la = frame("la_episodes", [
        {"child_id": "C1", "DECOM": "2025-05-15", "DEC": "2025-07-01"},
        {"child_id": "C2", "DECOM": "2026-03-31"},
        {"child_id": "C3", "DECOM": "2024-04-01", "DEC": "2025-04-01"},
    ])
    months = episodes_by_month({"la_episodes": la}, 2026).set_index("month")
    assert months["this_year"].tolist() == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert months["last_year"].tolist() == [1] * 12
    assert months.index[0] == "Apr" and months.index[-1] == "Mar"


def test_assessments_s47_and_cin_plans():
    tables = {
        "assessments": frame("assessments", [
            {"assessment_id": "A1", "episode_id": "E1", "child_id": "C1", "AssessmentActualStartDate": "2025-03-31"},
            {"assessment_id": "A2", "episode_id": "E1", "child_id": "C1", "AssessmentActualStartDate": "2025-04-01"},
            {"assessment_id": "A3", "episode_id": "E1", "child_id": "C1", "AssessmentActualStartDate": None},
        ]),
        "section47": frame("section47", [
            {"s47_id": "S1", "episode_id": "E1", "child_id": "C1", "S47ActualStartDate": "2026-01-05"},
        ]),
        "cin_plans": frame("cin_plans", [
            {"plan_id": "P1", "episode_id": "E1", "child_id": "C1", "CINPlanStartDate": "2025-01-01",
             "CINPlanEndDate": "2025-04-01"},
        ]),
    }
    t = trend(tables, 2026)
    assert _row(t, "Assessments (started in period)") == (1, 1, 0)  # an undated one counts in neither year
    assert _row(t, "Section 47 enquiries (started in period)") == (0, 1, 1)
    assert _row(t, "CIN plans (open in period)") == (1, 1, 0)  # ended on 1 April: open on the period's first day
    assert _row(t, "CIN plans (started in period)") == (1, 0, -1)
