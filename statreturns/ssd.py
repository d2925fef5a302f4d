"""The Standard Safeguarding Dataset (SSD) layout: canonical tables to SSD CSVs and back.

Councils extract from Liquidlogic, Mosaic, Eclipse and others into the SSD's ``ssd_*`` tables
(../shared/spec/ssd/ssd_fields.csv). The generator writes that layout and the pipeline's main path
reads it. Simple tables map column for column (``SIMPLE``); the rest need a join or a reshape and have
a function each. Dates are written as ISO ``yyyy-mm-dd`` and read in ISO or ``dd/mm/yyyy``; yes/no
items as ``Y``/``N``.

Reading never drops a row silently: a row without its key, with a date that does not parse, that
points at a person who is not in ``ssd_person``, or a permanence row with neither a decision's nor an
adoption's date goes to the quarantine with its file, line and reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from schemas import canonical
from statreturns.files import write_csv_atomic
from statreturns.ingest.checked import check

# canonical table -> (ssd table, {canonical column: ssd column})
SIMPLE: dict[str, tuple[str, dict[str, str]]] = {
    "children": ("ssd_person", {
        "child_id": "pers_person_id", "forename": "pers_forename", "surname": "pers_surname", "Sex": "pers_sex",
        "Ethnicity": "pers_ethnicity", "PersonBirthDate": "pers_dob", "ExpectedPersonBirthDate": "pers_expected_dob",
        "PersonDeathDate": "pers_death_date", "UPNunknown": "pers_upn_unknown", "MOTHER": "pers_is_mother"}),
    "disabilities": ("ssd_disability", {"child_id": "disa_person_id", "Disability": "disa_disability_code"}),
    "cin_episodes": ("ssd_cin_episodes", {
        "episode_id": "cine_referral_id", "child_id": "cine_person_id", "CINreferralDate": "cine_referral_date",
        "ReferralSource": "cine_referral_source_code", "PrimaryNeedCode": "cine_cin_primary_need_code",
        "CINclosureDate": "cine_close_date", "ReasonForClosure": "cine_close_reason",
        "ReferralNFA": "cine_referral_nfa"}),
    "assessments": ("ssd_cin_assessments", {
        "assessment_id": "cina_assessment_id", "episode_id": "cina_referral_id", "child_id": "cina_person_id",
        "AssessmentActualStartDate": "cina_assessment_start_date",
        "AssessmentAuthorisationDate": "cina_assessment_auth_date"}),
    "cin_plans": ("ssd_cin_plans", {
        "plan_id": "cinp_cin_plan_id", "episode_id": "cinp_referral_id", "child_id": "cinp_person_id",
        "CINPlanStartDate": "cinp_cin_plan_start_date", "CINPlanEndDate": "cinp_cin_plan_end_date"}),
    "cp_plans": ("ssd_cp_plans", {
        "cpp_id": "cppl_cp_plan_id", "episode_id": "cppl_referral_id", "child_id": "cppl_person_id",
        "CPPstartDate": "cppl_cp_plan_start_date", "CPPendDate": "cppl_cp_plan_end_date",
        "InitialCategoryOfAbuse": "cppl_cp_plan_initial_category",
        "LatestCategoryOfAbuse": "cppl_cp_plan_latest_category"}),
    "cp_reviews": ("ssd_cp_reviews", {
        "cpp_id": "cppr_cp_plan_id", "child_id": "cppr_person_id", "CPPreviewDate": "cppr_cp_review_date"}),
    "missing": ("ssd_missing", {
        "child_id": "miss_person_id", "MISSING": "miss_missing_episode_type",
        "MIS_START": "miss_missing_episode_start_date", "MIS_END": "miss_missing_episode_end_date"}),
    "uasc": ("ssd_immigration_status", {"child_id": "immi_person_id", "DUC": "immi_immigration_status_end_date"}),
    "oc3": ("ssd_care_leavers", {
        "child_id": "clea_person_id", "IN_TOUCH": "clea_care_leaver_in_touch", "ACTIV": "clea_care_leaver_activity",
        "ACCOM": "clea_care_leaver_accommodation"}),
    "previous_permanence": ("ssd_cla_previous_permanence", {
        "child_id": "lapp_person_id", "PREV_PERM": "lapp_previous_permanence_option",
        "LA_PERM": "lapp_previous_permanence_la", "DATE_PERM": "lapp_previous_permanence_order_date"}),
    "sw_episodes": ("ssd_involvements", {
        "child_id": "invo_person_id", "SW_ID": "invo_professional_id", "SW_DECOM": "invo_involvement_start_date",
        "SW_DEC": "invo_involvement_end_date", "SW_REASON": "invo_worker_change_reason"}),
}

# OC2 items held as typed rows in ssd_cla_health (check type -> OC2 column).
HEALTH_TYPES = {"HEALTH_CHECK": "DEVELOPMENT_CHECK", "TEETH_CHECK": "DENTAL_CHECK",
                "HEALTH_ASSESSMENT": "HEALTH_ASSESSMENT", "IMMUNISATIONS": "IMMUNISATIONS",
                "CONVICTED": "CONVICTION_FLAG", "SUBSTANCE_MISUSE": "SUBSTANCE_MISUSE",
                "INTERVENTION_RECEIVED": "SUBSTANCE_INTERVENTION_RECEIVED",
                "INTERVENTION_OFFERED": "SUBSTANCE_INTERVENTION_OFFERED"}

QUARANTINE_COLUMNS = ["source", "file", "line", "table", "reason"]


@dataclass
class SsdRead:
    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame  # source, file, line, table, reason: no values
    rows_in: dict[str, int]  # data rows per file read


# --------------------------------------------------------------------------------------------- write

def _fmt(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d")
        elif isinstance(s.dtype, pd.BooleanDtype):
            out[col] = s.map({True: "Y", False: "N"}).astype("object")
    return out


def _row_ids(prefix: str, n: int) -> np.ndarray:
    """Surrogate keys for SSD rows that have no canonical id: prefix1, prefix2, ..."""
    return np.char.add(prefix, np.arange(1, n + 1).astype(str)).astype(object)


def _with_row_id(frame: pd.DataFrame, column: str, prefix: str) -> pd.DataFrame:
    return frame.assign(**{column: _row_ids(prefix, len(frame))})


def to_ssd(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Canonical tables -> SSD tables (frames keyed by SSD table name)."""
    out: dict[str, pd.DataFrame] = {}
    for name, (ssd, cols) in SIMPLE.items():
        frame = tables[name][list(cols)].rename(columns=cols)
        out[ssd] = frame
    out["ssd_disability"] = _with_row_id(out["ssd_disability"], "disa_table_id", "D")
    out["ssd_missing"] = _with_row_id(out["ssd_missing"], "miss_table_id", "M")
    out["ssd_immigration_status"] = _with_row_id(out["ssd_immigration_status"], "immi_immigration_status_id", "I")
    out["ssd_immigration_status"]["immi_immigration_status"] = "UASC"
    out["ssd_cla_previous_permanence"] = _with_row_id(out["ssd_cla_previous_permanence"], "lapp_table_id", "PP")
    out["ssd_involvements"] = _with_row_id(out["ssd_involvements"], "invo_involvements_id", "V")
    out["ssd_involvements"]["invo_professional_role_id"] = "ALLOCATED_SOCIAL_WORKER"
    out["ssd_cp_reviews"] = _with_row_id(out["ssd_cp_reviews"], "cppr_cp_review_id", "CR")
    children = tables["children"]
    links = pd.concat([
        children.loc[children["UPN"].notna(), ["child_id", "UPN"]].set_axis(["link_person_id", "link_identifier_value"],
                                                                              axis=1)
        .assign(link_identifier_type="Unique Pupil Number"),
        children.loc[children["FormerUPN"].notna(), ["child_id", "FormerUPN"]]
        .set_axis(["link_person_id", "link_identifier_value"], axis=1)
        .assign(link_identifier_type="Former Unique Pupil Number"),
    ], ignore_index=True)
    out["ssd_linked_identifiers"] = _with_row_id(links, "link_table_id", "L")
    address = children.loc[children["home_postcode"].notna(), ["child_id", "home_postcode"]]
    out["ssd_address"] = _with_row_id(address.set_axis(["addr_person_id", "addr_address_postcode"], axis=1)
                                      .assign(addr_address_type="HOME"), "addr_table_id", "AD")
    mothers = children.loc[children["MC_DOB"].notna(), ["child_id", "MC_DOB"]]
    out["ssd_mother"] = _with_row_id(mothers.set_axis(["moth_person_id", "moth_childs_dob"], axis=1)
                                     .assign(moth_childs_person_id=None), "moth_table_id", "MO")
    out["ssd_assessment_factors"] = _factors_to_json(tables["assessment_factors"])
    out.update(_s47_to_ssd(tables["section47"]))
    out.update(_episodes_to_ssd(tables["la_episodes"]))
    out["ssd_cla_reviews"] = _reviews_to_ssd(tables["la_reviews"])
    out["ssd_cla_health"] = _oc2_to_ssd(tables["oc2"])
    out["ssd_sdq_scores"] = _with_row_id(tables["oc2"][["child_id", "SDQ_SCORE", "SDQ_REASON"]].set_axis(
        ["csdq_person_id", "csdq_sdq_score", "csdq_sdq_reason"], axis=1), "csdq_table_id", "Q")
    out["ssd_permanence"] = _permanence_to_ssd(tables["ad1"], tables["placed_for_adoption"])
    return {name: _fmt(frame) for name, frame in out.items()}


def _factors_to_json(factors: pd.DataFrame) -> pd.DataFrame:
    grouped = factors.groupby("assessment_id", sort=False)["AssessmentFactors"].agg(list)
    return pd.DataFrame({
        "cinf_table_id": [f"F{i}" for i in range(1, len(grouped) + 1)],
        "cinf_assessment_id": grouped.index.to_numpy(),
        "cinf_assessment_factors_json": [json.dumps(v) for v in grouped.to_numpy()],
    })


def _s47_to_ssd(s47: pd.DataFrame) -> dict[str, pd.DataFrame]:
    enquiry = pd.DataFrame({
        "s47e_s47_enquiry_id": s47["s47_id"], "s47e_referral_id": s47["episode_id"],
        "s47e_person_id": s47["child_id"], "s47e_s47_start_date": s47["S47ActualStartDate"],
        "s47e_s47_nfa": s47["ICPCnotRequired"],
    })
    icpc = pd.DataFrame({
        "icpc_icpc_id": "IC" + s47["s47_id"].astype("str"), "icpc_s47_enquiry_id": s47["s47_id"],
        "icpc_person_id": s47["child_id"], "icpc_referral_id": s47["episode_id"],
        "icpc_icpc_target_date": s47["InitialCPCtarget"], "icpc_icpc_date": s47["DateOfInitialCPC"],
    })
    return {"ssd_s47_enquiry": enquiry, "ssd_initial_cp_conference": icpc}


def _episodes_to_ssd(eps: pd.DataFrame) -> dict[str, pd.DataFrame]:
    ep_id = _row_ids("E", len(eps))
    placement_id = _row_ids("PL", len(eps))
    cla_id = ("CLA" + eps["child_id"].astype("str")).to_numpy()
    episodes = pd.DataFrame({
        "clae_cla_episode_id": ep_id, "clae_person_id": eps["child_id"].to_numpy(), "clae_cla_id": cla_id,
        "clae_cla_episode_start_date": eps["DECOM"].to_numpy(), "clae_cla_episode_start_reason": eps["RNE"].to_numpy(),
        "clae_cla_primary_need_code": eps["CIN"].to_numpy(), "clae_cla_episode_ceased_date": eps["DEC"].to_numpy(),
        "clae_cla_episode_ceased_reason": eps["REC"].to_numpy(), "clae_cla_placement_id": placement_id,
    })
    placement = pd.DataFrame({
        "clap_cla_placement_id": placement_id, "clap_person_id": eps["child_id"].to_numpy(), "clap_cla_id": cla_id,
        "clap_cla_placement_start_date": eps["DECOM"].to_numpy(), "clap_cla_placement_type": eps["PLACE"].to_numpy(),
        "clap_cla_placement_provider": eps["PLACE_PROVIDER"].to_numpy(), "clap_cla_placement_urn": eps["URN"].to_numpy(),
        "clap_cla_placement_postcode": eps["PL_POST"].to_numpy(), "clap_cla_placement_end_date": eps["DEC"].to_numpy(),
        "clap_cla_placement_change_reason": eps["REASON_PLACE_CHANGE"].to_numpy(),
    })
    legal = pd.DataFrame({
        "lega_legal_status_id": _row_ids("LS", len(eps)),
        "lega_person_id": eps["child_id"].to_numpy(), "lega_legal_status": eps["LS"].to_numpy(),
        "lega_legal_status_start_date": eps["DECOM"].to_numpy(), "lega_legal_status_end_date": eps["DEC"].to_numpy(),
    })
    return {"ssd_cla_episodes": episodes, "ssd_cla_placement": placement, "ssd_legal_status": legal}


def _reviews_to_ssd(reviews: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "clar_cla_review_id": _row_ids("RV", len(reviews)),
        "clar_cla_id": ("CLA" + reviews["child_id"].astype("str")).to_numpy(),
        "clar_cla_review_date": reviews["REVIEW"].to_numpy(),
        "clar_cla_review_participation": reviews["REVIEW_CODE"].to_numpy(),
    })


def _oc2_to_ssd(oc2: pd.DataFrame) -> pd.DataFrame:
    long = oc2.melt(id_vars="child_id", value_vars=list(HEALTH_TYPES), var_name="item", value_name="status")
    long = long.loc[long["status"].notna()]
    frame = pd.DataFrame({
        "clah_person_id": long["child_id"].to_numpy(),
        "clah_health_check_type": long["item"].map(HEALTH_TYPES).to_numpy(),
        "clah_health_check_status": long["status"].to_numpy(),
    })
    return _with_row_id(frame, "clah_health_check_id", "H")


AD1_COLUMNS = ["DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR", "adoption_order_date"]


def _permanence_to_ssd(ad1: pd.DataFrame, placed: pd.DataFrame) -> pd.DataFrame:
    """One row per decision to place for adoption, and one for an adopted child with no decision; a child's
    AD1 goes on one row only (``_ad1_row``), so reading back finds one AD1 per child."""
    merged = placed.merge(ad1, on="child_id", how="outer", indicator=True)
    both = (merged["_merge"] == "both").to_numpy()
    others = both & ~_ad1_row(merged, both)
    if others.any():
        merged.loc[others, AD1_COLUMNS] = None
    frame = pd.DataFrame({
        "perm_person_id": merged["child_id"], "perm_adm_decision_date": merged["DATE_INT"],
        "perm_matched_date": merged["DATE_MATCH"], "perm_placed_for_adoption_date": merged["DATE_PLACED"],
        "perm_decision_reversed_date": merged["DATE_PLACED_CEASED"],
        "perm_decision_reversed_reason": merged["REASON_PLACED_CEASED"],
        "perm_adopted_by_carer_flag": merged["FOSTER_CARE"], "perm_number_of_adopters": merged["NB_ADOPTR"],
        "perm_adopter_sex": merged["SEX_ADOPTR"], "perm_adopter_legal_status": merged["LS_ADOPTR"],
        "perm_permanence_order_date": merged["adoption_order_date"],
        "perm_permanence_order_type": np.where(merged["adoption_order_date"].notna(), "ADOPTION", None),
    })
    return _with_row_id(frame, "perm_table_id", "PM")


def _ad1_row(merged: pd.DataFrame, both: np.ndarray) -> np.ndarray:
    """Per adopted child with decisions (``both``), the decision that led to the adoption: the latest not
    reversed, else the latest (undated decisions count as the earliest)."""
    rows = merged.loc[both, ["child_id", "DATE_PLACED", "DATE_PLACED_CEASED"]].assign(
        _open=lambda f: f["DATE_PLACED_CEASED"].isna(), _pos=np.flatnonzero(both))
    rows = rows.sort_values(["child_id", "_open", "DATE_PLACED", "_pos"], kind="stable", na_position="first")
    chosen = np.zeros(len(merged), dtype=bool)
    chosen[rows.drop_duplicates("child_id", keep="last")["_pos"].to_numpy()] = True
    return chosen


def write_ssd(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write one CSV per SSD table (atomically); return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_csv_atomic(frame, folder / f"{name}.csv") for name, frame in sorted(to_ssd(tables).items())]


# ---------------------------------------------------------------------------------------------- read

class SsdReadError(ValueError):
    """A file that cannot be read at all. The message names the file and line, never a value."""


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except pd.errors.ParserError as exc:
        line = _line_of(str(exc))
        raise SsdReadError(f"{path.name}: line {line}: the row does not have the header's number of fields") from None
    except UnicodeDecodeError:
        raise SsdReadError(f"{path.name}: not UTF-8 text") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    return frame


def _line_of(message: str) -> str:
    found = re.search(r"line (\d+)", message)
    return found.group(1) if found else "?"


def map_codes(s: pd.Series, mapping: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Local codes to DfE codes (matched stripped and upper-cased); returns (codes, unknown mask)."""
    keep = mapping.get("\0keep") is not None  # the profile says: pass values the map does not list
    key = s.astype("str").str.strip().str.upper().where(s.notna())
    key = key.where(key != "")
    table = pd.Series(list(mapping.values()), index=[str(k).strip().upper() for k in mapping], dtype="object")
    table = table[~table.index.duplicated(keep="last")]
    mapped = pd.Series(table.reindex(key.to_numpy()).to_numpy(), index=s.index, dtype="object")
    unknown = key.notna() & mapped.isna()
    if keep:
        return mapped.where(~unknown, key).where(key.notna(), None), unknown & False
    return mapped.where(mapped.notna(), None), unknown


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ISO (with or without a time) or dd/mm/yyyy; returns (dates, unparseable mask)."""
    text = s.astype("str").str.strip().str[:10]
    iso = pd.to_datetime(text.where(s.notna()), format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(text.where(s.notna() & iso.isna()), format="%d/%m/%Y", errors="coerce")
    parsed = iso.fillna(uk)
    return parsed, s.notna() & parsed.isna()


def read_ssd(folder: Path) -> SsdRead:
    """Read an SSD CSV extract into canonical tables, quarantining what cannot be mapped."""
    files = {p.stem.lower(): p for p in folder.glob("*.csv") if p.stem.lower().startswith("ssd_")}
    if "ssd_person" not in files:
        raise SsdReadError(f"{folder.name}: no ssd_person.csv in the extract")
    raw = {name: _read_csv(path) for name, path in files.items()}
    return read_ssd_frames(raw)


CodeMaps = dict[str, dict[str, dict[str, str]]]  # canonical table -> column -> {raw code: DfE code}


def read_ssd_frames(raw: dict[str, pd.DataFrame], source: str = "ssd", codes: CodeMaps | None = None) -> SsdRead:
    """Raw ``ssd_*`` frames (from a CSV folder or SQL tables of the same layout) to canonical tables.

    ``raw`` is keyed by lower-case SSD table name; columns are lower-case SSD field names, cells strings or
    missing. A frame's index + 2 is its line in the file (a CSV read with its header on line 1 has a
    RangeIndex). ``codes`` maps local codes to DfE codes per canonical column; a value the map does not
    know is quarantined (``unknown_code:<column>``), and so are the rows that then point at no person.
    """
    rows_in = {name: len(frame) for name, frame in raw.items()}
    q = _Quarantine(source)
    codes = codes or {}
    tables: dict[str, pd.DataFrame] = {}
    for name, (ssd, cols) in SIMPLE.items():
        frame = raw.get(ssd)
        if frame is None:
            tables[name] = canonical.empty(name)
            continue
        mapped = frame.reindex(columns=list(cols.values())).set_axis(list(cols), axis=1)
        tables[name] = mapped.assign(_file=ssd, _line=frame.index.to_numpy() + 2)
    tables["children"] = _children_extra(tables["children"], raw)
    tables["assessment_factors"] = _factors_from_json(raw, q)
    tables["section47"] = _s47_from_ssd(raw)
    tables["la_episodes"] = _episodes_from_ssd(raw, tables["children"])
    tables["la_reviews"] = _reviews_from_ssd(raw)
    tables["oc2"] = _oc2_from_ssd(raw)
    tables["ad1"], tables["placed_for_adoption"] = _permanence_from_ssd(raw, q)
    tables["dolo"] = canonical.empty("dolo")
    out = {name: _finish(name, frame, q, codes.get(name, {})) for name, frame in tables.items()}
    out = _orphans(out, q)
    out["cp_plans"] = previous_plans(out["cp_plans"])
    return SsdRead(tables=out, quarantine=q.frame(), rows_in=rows_in)


def _children_extra(children: pd.DataFrame, raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    links = raw.get("ssd_linked_identifiers", pd.DataFrame(columns=["link_person_id", "link_identifier_type",
                                                                     "link_identifier_value"]))
    kind = links["link_identifier_type"].astype("str").str.lower()
    upn = links.loc[kind == "unique pupil number"].drop_duplicates("link_person_id", keep="last")
    former = links.loc[kind == "former unique pupil number"].drop_duplicates("link_person_id", keep="last")
    out = children.copy()
    out["UPN"] = out["child_id"].map(upn.set_index("link_person_id")["link_identifier_value"])
    out["FormerUPN"] = out["child_id"].map(former.set_index("link_person_id")["link_identifier_value"])
    addr = raw.get("ssd_address", pd.DataFrame(columns=["addr_person_id", "addr_address_postcode"]))
    home = addr.drop_duplicates("addr_person_id", keep="last").set_index("addr_person_id")["addr_address_postcode"]
    out["home_postcode"] = out["child_id"].map(home)
    # MC_DOB is the date of birth of the mother's first child: the earliest in ssd_mother.
    moth = raw.get("ssd_mother", pd.DataFrame(columns=["moth_person_id", "moth_childs_dob"]))
    first = moth.assign(_d=parse_dates(moth["moth_childs_dob"])[0]).sort_values("_d")
    first = first.drop_duplicates("moth_person_id").set_index("moth_person_id")["moth_childs_dob"]
    out["MC_DOB"] = out["child_id"].map(first)
    return out


def _factors_from_json(raw: dict[str, pd.DataFrame], q: _Quarantine) -> pd.DataFrame:
    f = raw.get("ssd_assessment_factors")
    if f is None or f.empty:
        return canonical.empty("assessment_factors")
    text = f["cinf_assessment_factors_json"].fillna("[]").astype("str").str.strip()
    ok = text.str.startswith("[") & text.str.endswith("]")
    q.add("ssd_assessment_factors", f.index[~ok.to_numpy()], "assessment_factors", "factors_not_a_json_list")
    codes = text[ok].str.strip("[]").str.replace('"', "", regex=False).str.split(",")
    long = pd.DataFrame({"assessment_id": f.loc[ok, "cinf_assessment_id"], "AssessmentFactors": codes,
                         "_line": f.index[ok.to_numpy()] + 2}).explode("AssessmentFactors")
    long["AssessmentFactors"] = long["AssessmentFactors"].str.strip()
    long = long.loc[long["AssessmentFactors"].fillna("") != ""]
    assess = raw.get("ssd_cin_assessments", pd.DataFrame(columns=["cina_assessment_id", "cina_person_id"]))
    person = assess.drop_duplicates("cina_assessment_id").set_index("cina_assessment_id")["cina_person_id"]
    long["child_id"] = long["assessment_id"].map(person)
    return long.assign(_file="ssd_assessment_factors").reset_index(drop=True)


def _s47_from_ssd(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    s = raw.get("ssd_s47_enquiry")
    if s is None:
        return canonical.empty("section47")
    icpc = raw.get("ssd_initial_cp_conference", pd.DataFrame(columns=[
        "icpc_s47_enquiry_id", "icpc_icpc_target_date", "icpc_icpc_date"]))
    icpc = icpc.drop_duplicates("icpc_s47_enquiry_id", keep="first").set_index("icpc_s47_enquiry_id")
    return pd.DataFrame({
        "s47_id": s["s47e_s47_enquiry_id"], "episode_id": s["s47e_referral_id"], "child_id": s["s47e_person_id"],
        "S47ActualStartDate": s["s47e_s47_start_date"],
        "InitialCPCtarget": s["s47e_s47_enquiry_id"].map(icpc["icpc_icpc_target_date"]),
        "DateOfInitialCPC": s["s47e_s47_enquiry_id"].map(icpc["icpc_icpc_date"]),
        "ICPCnotRequired": s["s47e_s47_nfa"], "_file": "ssd_s47_enquiry", "_line": s.index.to_numpy() + 2,
    })


def _episodes_from_ssd(raw: dict[str, pd.DataFrame], children: pd.DataFrame) -> pd.DataFrame:
    e = raw.get("ssd_cla_episodes")
    if e is None:
        return canonical.empty("la_episodes")
    place = raw.get("ssd_cla_placement", pd.DataFrame(columns=["clap_cla_placement_id"]))
    place = place.drop_duplicates("clap_cla_placement_id").set_index("clap_cla_placement_id")
    pid = e["clae_cla_placement_id"]
    out = pd.DataFrame({
        "child_id": e["clae_person_id"], "DECOM": e["clae_cla_episode_start_date"],
        "RNE": e["clae_cla_episode_start_reason"], "CIN": e["clae_cla_primary_need_code"],
        "PLACE": pid.map(place.get("clap_cla_placement_type", pd.Series(dtype="str"))),
        "PLACE_PROVIDER": pid.map(place.get("clap_cla_placement_provider", pd.Series(dtype="str"))),
        "DEC": e["clae_cla_episode_ceased_date"], "REC": e["clae_cla_episode_ceased_reason"],
        "REASON_PLACE_CHANGE": pid.map(place.get("clap_cla_placement_change_reason", pd.Series(dtype="str"))),
        "PL_POST": pid.map(place.get("clap_cla_placement_postcode", pd.Series(dtype="str"))),
        "URN": pid.map(place.get("clap_cla_placement_urn", pd.Series(dtype="str"))),
        "_file": "ssd_cla_episodes", "_line": e.index.to_numpy() + 2,
    })
    out["HOME_POST"] = out["child_id"].map(children.set_index("child_id")["home_postcode"])
    # Legal status is its own timeline in the SSD: take the status in force on the day the episode began.
    legal = raw.get("ssd_legal_status")
    if legal is None or legal.empty:
        out["LS"] = None
        return out
    ls = pd.DataFrame({"child_id": legal["lega_person_id"], "LS": legal["lega_legal_status"],
                       "_ls_start": parse_dates(legal["lega_legal_status_start_date"])[0]}).dropna(subset=["_ls_start"])
    start = parse_dates(out["DECOM"])[0]
    keyed = out.assign(_start=start, _pos=np.arange(len(out)))
    has = keyed["_start"].notna()
    left = keyed.loc[has].sort_values("_start")
    joined = pd.merge_asof(left, ls.sort_values("_ls_start"), left_on="_start", right_on="_ls_start",
                           by="child_id", direction="backward")
    out["LS"] = pd.Series(joined["LS"].to_numpy(), index=joined["_pos"].to_numpy()).reindex(range(len(out))).to_numpy()
    return out


def _reviews_from_ssd(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    r = raw.get("ssd_cla_reviews")
    e = raw.get("ssd_cla_episodes")
    if r is None or e is None:
        return canonical.empty("la_reviews")
    person = e.drop_duplicates("clae_cla_id").set_index("clae_cla_id")["clae_person_id"]
    return pd.DataFrame({"child_id": r["clar_cla_id"].map(person), "REVIEW": r["clar_cla_review_date"],
                         "REVIEW_CODE": r["clar_cla_review_participation"], "_file": "ssd_cla_reviews",
                         "_line": r.index.to_numpy() + 2})


def _oc2_from_ssd(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    sdq = raw.get("ssd_sdq_scores")
    health = raw.get("ssd_cla_health")
    if sdq is None and health is None:
        return canonical.empty("oc2")
    by_type = {v: k for k, v in HEALTH_TYPES.items()}
    wide = pd.DataFrame()
    if health is not None and not health.empty:
        h = health.assign(item=health["clah_health_check_type"].map(by_type)).dropna(subset=["item"])
        wide = h.pivot_table(index="clah_person_id", columns="item", values="clah_health_check_status",
                             aggfunc="last")
    ids = pd.Index(sdq["csdq_person_id"] if sdq is not None else []).union(wide.index).dropna()
    out = pd.DataFrame({"child_id": ids})
    if sdq is not None:
        last = sdq.drop_duplicates("csdq_person_id", keep="last").set_index("csdq_person_id")
        out["SDQ_SCORE"] = out["child_id"].map(last["csdq_sdq_score"])
        out["SDQ_REASON"] = out["child_id"].map(last["csdq_sdq_reason"])
    for col in HEALTH_TYPES:
        out[col] = out["child_id"].map(wide[col]) if col in wide.columns else None
    return out.assign(_file="ssd_cla_health", _line=pd.NA)


def _permanence_from_ssd(raw: dict[str, pd.DataFrame], q: _Quarantine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """AD1 from a row with an adoption order or matched date, a decision (PlacedAdoption) from a row with a
    placed-for-adoption date; a row may be both. A row that is neither is quarantined: the 903 has no record
    of a decision without its date (a reversal with no decision, rule 563) or of an adoption without one."""
    p = raw.get("ssd_permanence")
    if p is None:
        return canonical.empty("ad1"), canonical.empty("placed_for_adoption")
    line = p.index.to_numpy() + 2
    adopted = (p["perm_permanence_order_date"].notna() | p["perm_matched_date"].notna()).to_numpy()
    placed_rows = p["perm_placed_for_adoption_date"].notna().to_numpy()
    neither = ~adopted & ~placed_rows
    reversed_only = neither & (p["perm_decision_reversed_date"].notna()
                               | p["perm_decision_reversed_reason"].notna()).to_numpy()
    q.add("ssd_permanence", p.index[reversed_only], "placed_for_adoption", "decision_reversed_without_its_date")
    q.add("ssd_permanence", p.index[neither & ~reversed_only], "placed_for_adoption",
          "no_placed_for_adoption_or_adoption_date")
    ad1 = pd.DataFrame({
        "child_id": p["perm_person_id"], "DATE_INT": p["perm_adm_decision_date"],
        "DATE_MATCH": p["perm_matched_date"], "FOSTER_CARE": p["perm_adopted_by_carer_flag"],
        "NB_ADOPTR": p["perm_number_of_adopters"], "SEX_ADOPTR": p["perm_adopter_sex"],
        "LS_ADOPTR": p["perm_adopter_legal_status"], "adoption_order_date": p["perm_permanence_order_date"],
        "_file": "ssd_permanence", "_line": line,
    }).loc[adopted]
    placed = pd.DataFrame({
        "child_id": p["perm_person_id"], "DATE_PLACED": p["perm_placed_for_adoption_date"],
        "DATE_PLACED_CEASED": p["perm_decision_reversed_date"],
        "REASON_PLACED_CEASED": p["perm_decision_reversed_reason"], "_file": "ssd_permanence", "_line": line,
    }).loc[placed_rows]
    return ad1.reset_index(drop=True), placed.reset_index(drop=True)


def _one_ad1_per_child(frame: pd.DataFrame, q: _Quarantine) -> pd.DataFrame:
    """An extract may repeat a child's AD1 on each of their permanence rows: identical copies (dates
    parsed, codes mapped) are one record, the first row's; copies that differ are all quarantined, as
    there is no telling which is right."""
    keyed = frame["child_id"].notna()
    if not (keyed & frame["child_id"].duplicated()).any():
        return frame
    distinct = frame.loc[keyed].groupby("child_id", sort=False)[AD1_COLUMNS].nunique(dropna=False)
    differ = frame["child_id"].isin(distinct.index[(distinct > 1).any(axis=1).to_numpy()])
    _quarantine_rows(q, frame, differ.to_numpy(), "ad1", pd.Series("ad1_copies_differ", index=frame.index))
    kept = frame.loc[~differ.to_numpy()]
    return kept.loc[~(kept["child_id"].notna() & kept["child_id"].duplicated()).to_numpy()]


class _Quarantine:
    def __init__(self, source: str = "ssd") -> None:
        self.source = source
        self.parts: list[pd.DataFrame] = []

    def add(self, file: str, rows: pd.Index, table: str, reason: str | pd.Series, lines=None) -> None:
        if len(rows) == 0:
            return
        self.parts.append(pd.DataFrame({
            "source": self.source, "file": f"{file}.csv",
            "line": lines if lines is not None else np.asarray(rows) + 2,
            "table": table, "reason": reason,
        }))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in QUARANTINE_COLUMNS})
        return pd.concat(self.parts, ignore_index=True)[QUARANTINE_COLUMNS]


_DATE_COLS = {name: [c for c, col in canonical.MODELS[name].to_schema().columns.items()
                     if "datetime" in str(col.dtype)] for name in canonical.MODELS}
_BOOL_COLS = {name: [c for c, col in canonical.MODELS[name].to_schema().columns.items()
                     if str(col.dtype) == "boolean"] for name in canonical.MODELS}


def _finish(name: str, frame: pd.DataFrame, q: _Quarantine, codes: dict[str, dict[str, str]] | None = None
            ) -> pd.DataFrame:
    """Strip and upper-case identifiers, map codes, parse dates and flags, validate; quarantine what fails."""
    frame = frame.reset_index(drop=True).copy()
    if "_file" not in frame.columns:
        frame["_file"] = name
    if "_line" not in frame.columns:
        frame["_line"] = pd.NA
    for key in ("child_id", "episode_id", "assessment_id", "cpp_id", "UPN", "FormerUPN"):
        if key in frame.columns:
            s = frame[key]
            frame[key] = s.where(s.isna(), s.astype("str").str.strip().str.upper()).replace("", None)
    bad = pd.Series("", index=frame.index, dtype="str")
    for col, mapping in (codes or {}).items():
        if col in frame.columns:
            frame[col], unknown = map_codes(frame[col], mapping)
            bad = bad.mask(unknown, bad + f"unknown_code:{col};")
    for col in _DATE_COLS.get(name, []):
        if col in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[col]):
            parsed, invalid = parse_dates(frame[col])
            frame[col] = parsed
            bad = bad.mask(invalid, bad + f"bad_date:{col};")
    for col in _BOOL_COLS.get(name, []):
        if col in frame.columns and not isinstance(frame[col].dtype, pd.BooleanDtype):
            text = frame[col].astype("str").str.strip().str.upper()
            frame[col] = pd.array(text.map({"Y": True, "N": False, "TRUE": True, "FALSE": False, "1": True,
                                            "0": False}).where(frame[col].notna()), dtype="boolean")
    flagged = bad != ""
    _quarantine_rows(q, frame, flagged, name, bad.str.rstrip(";"))
    frame = frame.loc[~flagged.to_numpy()]
    if name == "ad1":
        frame = _one_ad1_per_child(frame, q)
    checked = check(canonical.MODELS[name], frame.drop(columns=["_file", "_line"]), name)
    if len(checked.quarantined):
        _quarantine_rows(q, frame, frame.index.isin(checked.quarantined.index), name,
                         checked.quarantined["reason"].reindex(frame.index))
    lines = frame.loc[frame.index.isin(checked.valid.index), ["_file", "_line"]]
    return checked.valid.assign(_file=lines["_file"].to_numpy(), _line=lines["_line"].to_numpy()).reset_index(
        drop=True)


def _quarantine_rows(q: _Quarantine, frame: pd.DataFrame, mask, table: str, reasons: pd.Series) -> None:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    rows = frame.index[mask]
    q.parts.append(pd.DataFrame({
        "source": q.source, "file": frame.loc[rows, "_file"].astype("str").to_numpy() + ".csv",
        "line": frame.loc[rows, "_line"].to_numpy(), "table": table, "reason": reasons.loc[rows].to_numpy(),
    }))


def _orphans(tables: dict[str, pd.DataFrame], q: _Quarantine) -> dict[str, pd.DataFrame]:
    """Rows that point at a person not in ssd_person cannot be placed in anyone's record."""
    known = set(tables["children"]["child_id"])
    out = {}
    for name, frame in tables.items():
        if name in ("children", "school_pupils") or "child_id" not in frame.columns:
            out[name] = frame
            continue
        # object dtype: pandas 3's Arrow-string isin against a large set loops in Python
        orphan = ~frame["child_id"].astype("object").isin(known)
        _quarantine_rows(q, frame, orphan.to_numpy(), name, pd.Series("unknown_person", index=frame.index))
        out[name] = frame.loc[~orphan.to_numpy()].reset_index(drop=True)
    return out


def previous_plans(cp_plans: pd.DataFrame) -> pd.DataFrame:
    """NumberOfPreviousCPP has no SSD field: we count the child's earlier plans in the extract.

    An extract that starts after a child's first plan under-counts; the DfE item is the count of all
    previous plans, so councils whose system holds it should map it in their source profile.
    """
    order = cp_plans.sort_values(["child_id", "CPPstartDate"], kind="stable")
    earlier = order.groupby("child_id").cumcount().astype("str")
    return cp_plans.assign(NumberOfPreviousCPP=earlier.reindex(cp_plans.index))


def strip_lineage(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Drop the _file/_line columns the reader keeps for quarantine reports."""
    return {k: v.drop(columns=[c for c in ("_file", "_line") if c in v.columns]) for k, v in tables.items()}
