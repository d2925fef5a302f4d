"""Canonical tables -> the CIN census's raw tables for one collection year (what the writer takes).

Scope (DfE guide): every child with a CIN episode open at any point in the census period, with each such
episode and the assessments, plans, section 47 enquiries and protection plans that belong to it.
"""

from __future__ import annotations

import pandas as pd

from statreturns.cin.tables import COLUMNS

GENDER_CURRENT = {"M": "1", "F": "2", "U": "0"}  # to 2023-24; 9 (indeterminate) has no canonical source


def _iso(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d").astype("object").where(s.notna(), None)


def _flag(s: pd.Series) -> pd.Series:
    return s.map({True: "true", False: "false"}).astype("object").where(s.notna(), None)


def _counter(keys: pd.Series, mapping: dict) -> pd.Series:
    return keys.map(mapping).astype("Int64").astype("str")


def as_at(tables: dict[str, pd.DataFrame], end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The case history as it stood on ``end``: what started later is dropped, what ended later is still
    open (its end date and closure reason blank), and factors wait for their assessment's authorisation.
    A council's system holds this year's events when last year's census is built from it."""
    out = dict(tables)

    def cut(name: str, start_col: str, blank: dict[str, list[str]]) -> None:
        frame = tables[name]
        frame = frame.loc[~(frame[start_col] > end).to_numpy()].copy()
        for col, also in blank.items():
            later = (frame[col] > end).to_numpy()
            if later.any():
                frame.loc[later, [col, *also]] = None
        out[name] = frame

    cut("cin_episodes", "CINreferralDate", {"CINclosureDate": ["ReasonForClosure"]})
    cut("assessments", "AssessmentActualStartDate", {"AssessmentAuthorisationDate": []})
    cut("section47", "S47ActualStartDate", {"DateOfInitialCPC": []})
    cut("cp_plans", "CPPstartDate", {"CPPendDate": []})
    cut("cin_plans", "CINPlanStartDate", {"CINPlanEndDate": []})
    out["cp_reviews"] = tables["cp_reviews"].loc[~(tables["cp_reviews"]["CPPreviewDate"] > end).to_numpy()]
    authorised = out["assessments"].loc[out["assessments"]["AssessmentAuthorisationDate"].notna(), "assessment_id"]
    factors = tables["assessment_factors"]
    out["assessment_factors"] = factors.loc[factors["assessment_id"].isin(set(authorised)).to_numpy()]
    return out


def build_cin_frames(tables: dict[str, pd.DataFrame], year: int) -> dict[str, pd.DataFrame]:
    start = pd.Timestamp(year=year - 1, month=4, day=1)
    end = pd.Timestamp(year=year, month=3, day=31)
    tables = as_at(tables, end)
    ep = tables["cin_episodes"]
    in_scope = (ep["CINreferralDate"] <= end) & (ep["CINclosureDate"].isna() | (ep["CINclosureDate"] >= start))
    ep = ep.loc[in_scope.to_numpy()]
    children = tables["children"]
    children = children.loc[children["child_id"].isin(set(ep["child_id"]))].sort_values("child_id", kind="stable")
    order = {cid: i for i, cid in enumerate(children["child_id"])}
    ep = ep.assign(_c=ep["child_id"].map(order)).sort_values(["_c", "CINreferralDate", "episode_id"], kind="stable")
    ep_num = {eid: i for i, eid in enumerate(ep["episode_id"])}

    def within(name: str, sort: list[str], ended: str | None = None) -> pd.DataFrame:
        """Rows of the episodes in scope; with ``ended``, only those not finished before the period."""
        frame = tables[name]
        keep = frame["episode_id"].isin(ep_num.keys())
        if ended is not None:
            keep &= frame[ended].isna() | (frame[ended] >= start)
        frame = frame.loc[keep.to_numpy()]
        key = frame["episode_id"].map(ep_num)
        return frame.assign(_e=key).sort_values(["_e", *sort], kind="stable")

    out: dict[str, pd.DataFrame] = {}
    sex = children["Sex"]
    out["ChildIdentifiers"] = pd.DataFrame({
        "LAchildID": children["child_id"], "UPN": children["UPN"], "FormerUPN": children["FormerUPN"],
        "UPNunknown": children["UPNunknown"], "PersonBirthDate": _iso(children["PersonBirthDate"]),
        "ExpectedPersonBirthDate": _iso(children["ExpectedPersonBirthDate"]),
        "GenderCurrent": sex.map(GENDER_CURRENT) if year < 2025 else None,
        "Sex": sex if year >= 2025 else None, "PersonDeathDate": _iso(children["PersonDeathDate"]),
    })
    out["ChildCharacteristics"] = pd.DataFrame({"LAchildID": children["child_id"], "Ethnicity": children["Ethnicity"]})
    dis = tables["disabilities"]
    dis = dis.loc[dis["child_id"].isin(order.keys())]
    out["Disabilities"] = pd.DataFrame({"LAchildID": dis["child_id"], "Disability": dis["Disability"]}).assign(
        _c=dis["child_id"].map(order)).sort_values("_c", kind="stable").drop(columns="_c")
    s47 = within("section47", ["S47ActualStartDate"], ended="DateOfInitialCPC")
    out["CINdetails"] = pd.DataFrame({
        "LAchildID": ep["child_id"], "CINdetailsID": _counter(ep["episode_id"], ep_num),
        "CINreferralDate": _iso(ep["CINreferralDate"]), "ReferralSource": ep["ReferralSource"],
        "PrimaryNeedCode": ep["PrimaryNeedCode"], "CINclosureDate": _iso(ep["CINclosureDate"]),
        "ReasonForClosure": ep["ReasonForClosure"],
        # The conference date is recorded on the Section 47 block only (rule 2884 forbids both levels).
        "DateOfInitialCPC": None, "ReferralNFA": _flag(ep["ReferralNFA"]),
    })
    a = within("assessments", ["AssessmentActualStartDate"], ended="AssessmentAuthorisationDate")
    a_num = {aid: i for i, aid in enumerate(a["assessment_id"])}
    out["Assessments"] = pd.DataFrame({
        "LAchildID": a["child_id"], "CINdetailsID": _counter(a["episode_id"], ep_num),
        "AssessmentID": _counter(a["assessment_id"], a_num),
        "AssessmentActualStartDate": _iso(a["AssessmentActualStartDate"]), "AssessmentInternalReviewDate": None,
        "AssessmentAuthorisationDate": _iso(a["AssessmentAuthorisationDate"]),
    })
    f = tables["assessment_factors"]
    f = f.loc[f["assessment_id"].isin(a_num.keys())]
    f = f.assign(_a=f["assessment_id"].map(a_num)).sort_values("_a", kind="stable")
    a_ep = a.set_index("assessment_id")["episode_id"]
    out["AssessmentFactorsList"] = pd.DataFrame({
        "LAchildID": f["child_id"], "CINdetailsID": _counter(f["assessment_id"].map(a_ep), ep_num),
        "AssessmentID": _counter(f["assessment_id"], a_num), "AssessmentFactors": f["AssessmentFactors"],
    })
    p = within("cin_plans", ["CINPlanStartDate"], ended="CINPlanEndDate")
    out["CINplanDates"] = pd.DataFrame({
        "LAchildID": p["child_id"], "CINdetailsID": _counter(p["episode_id"], ep_num),
        "CINPlanStartDate": _iso(p["CINPlanStartDate"]), "CINPlanEndDate": _iso(p["CINPlanEndDate"]),
    })
    out["Section47"] = pd.DataFrame({
        "LAchildID": s47["child_id"], "CINdetailsID": _counter(s47["episode_id"], ep_num),
        "S47ActualStartDate": _iso(s47["S47ActualStartDate"]), "InitialCPCtarget": _iso(s47["InitialCPCtarget"]),
        "DateOfInitialCPC": _iso(s47["DateOfInitialCPC"]), "ICPCnotRequired": _flag(s47["ICPCnotRequired"]),
    })
    cp = within("cp_plans", ["CPPstartDate"], ended="CPPendDate")
    cp_num = {cid: i for i, cid in enumerate(cp["cpp_id"])}
    out["ChildProtectionPlans"] = pd.DataFrame({
        "LAchildID": cp["child_id"], "CINdetailsID": _counter(cp["episode_id"], ep_num),
        "CPPID": _counter(cp["cpp_id"], cp_num), "CPPstartDate": _iso(cp["CPPstartDate"]),
        "CPPendDate": _iso(cp["CPPendDate"]), "InitialCategoryOfAbuse": cp["InitialCategoryOfAbuse"],
        "LatestCategoryOfAbuse": cp["LatestCategoryOfAbuse"], "NumberOfPreviousCPP": cp["NumberOfPreviousCPP"],
    })
    rv = tables["cp_reviews"]
    rv = rv.loc[rv["cpp_id"].isin(cp_num.keys())]
    rv = rv.assign(_p=rv["cpp_id"].map(cp_num)).sort_values(["_p", "CPPreviewDate"], kind="stable")
    cp_ep = cp.set_index("cpp_id")["episode_id"]
    out["Reviews"] = pd.DataFrame({
        "LAchildID": rv["child_id"], "CINdetailsID": _counter(rv["cpp_id"].map(cp_ep), ep_num),
        "CPPID": _counter(rv["cpp_id"], cp_num), "CPPreviewDate": _iso(rv["CPPreviewDate"]),
    })
    out["Header"] = pd.DataFrame([{"Collection": "CIN", "Year": str(year), "ReferenceDate": f"{year}-03-31",
                                   "SourceLevel": "L"}])
    return {name: frame.reindex(columns=COLUMNS[name]).reset_index(drop=True).astype("object")
            .where(lambda f: f.notna(), None) for name, frame in out.items()}

