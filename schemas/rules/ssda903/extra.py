"""SSDA903 optional checks (set "extra"): D2I's local rules and data-integrity checks, not DfE rules.

They tie the tables together (every child known to the Header, one row per child where the DfE expects
one, the same DOB and sex everywhere) and add a few local plausibility checks.
"""

from __future__ import annotations

import pandas as pd

from schemas.rules.ssda903.base import ALL_YEARS, child_in, header_value, rule

EXTRA = "extra"

# table -> code, for each family of integrity checks.
_IN_HEADER = {"AD1": "INT01", "PlacedAdoption": "INT02", "Episodes": "INT03", "Missing": "INT04", "OC2": "INT05",
              "OC3": "INT06", "PrevPerm": "INT07", "Reviews": "INT08", "UASC": "INT09"}
_SAME_DOB = {"AD1": "INT11", "PlacedAdoption": "INT12", "Missing": "INT13", "OC2": "INT14", "OC3": "INT15",
             "PrevPerm": "INT16", "Reviews": "INT17", "UASC": "INT18"}
_ONCE = {"AD1": "INT31", "Header": "INT32", "OC2": "INT33", "OC3": "INT34", "PrevPerm": "INT35", "UASC": "INT36"}
# The message names each table as D2I wrote it (INT01 says "Data Integrity Check").
_IN_HEADER_MSG = {"INT01": "Data Integrity Check: Child in AD1 does not exist in Header."}

# Sex codes as the UASC table may still carry them (1/2) mapped to the Header's M/F/U.
_SEX = {"1": "M", "2": "F"}


@rule("3001", "error", table="OC3", needs=["Header"], fields=["DOB", "ACCOM"], years=ALL_YEARS, set_name=EXTRA,
      message="Where care leavers information is being returned for a young person around their 17th "
              "birthday, the accommodation cannot be with their former foster carer(s).")
def seventeen_with_former_carers(t) -> pd.Series:
    oc3 = t.OC3
    dob = header_value(t, "OC3", "DOB")
    birthday17 = dob + pd.DateOffset(years=17)
    turns_17 = (birthday17 >= t.collection_start) & (birthday17 <= t.collection_end)
    return turns_17 & oc3["ACCOM"].isin(["Z1", "Z2"])


@rule("EPI", "query", table="Header", needs=["Episodes"], fields=["CHILD"], years=ALL_YEARS, set_name=EXTRA,
      message="WARNING: Episodes need to be loaded for this child before further validation is possible "
              "[NOTE: This refers to the DfE portal - here, all checks that can be performed with only the "
              "available data will be.]")
def child_without_episodes(t) -> pd.Series:
    # OC3 is read only if it was supplied: a care leaver may have no episode this year.
    known = child_in(t, "Header", "Episodes")
    if t.has("OC3"):
        known |= child_in(t, "Header", "OC3")
    return ~known


def _not_in_header(table: str):
    def check(t) -> pd.Series:
        return ~child_in(t, table, "Header")

    check.__name__ = f"child_in_{table.lower()}_not_in_header"
    return check


def _dob_differs(table: str):
    def check(t) -> pd.Series:
        own = t[table]["DOB"]
        header = header_value(t, table, "DOB")
        return own.notna() & header.notna() & (own != header)

    check.__name__ = f"dob_in_{table.lower()}_differs"
    return check


def _more_than_once(table: str):
    def check(t) -> pd.Series:
        # Every row of a repeated child is reported, so the user sees all of them.
        child = t[table]["CHILD"]
        return child.notna() & child.duplicated(keep=False)

    check.__name__ = f"child_repeated_in_{table.lower()}"
    return check


for _table, _code in _IN_HEADER.items():
    rule(_code, "error", table=_table, needs=["Header"], fields=["CHILD"], years=ALL_YEARS, set_name=EXTRA,
         message=_IN_HEADER_MSG.get(_code, f"Internal Check: Child in {_table} does not exist in Header."))(
        _not_in_header(_table))

for _table, _code in _SAME_DOB.items():
    rule(_code, "error", table=_table, needs=["Header"], fields=["DOB"], years=ALL_YEARS, set_name=EXTRA,
         message=f"Internal Check: DOB in {_table} is different to DOB in Header.")(_dob_differs(_table))


@rule("INT21", "error", table="UASC", needs=["Header"], fields=["SEX"], years=ALL_YEARS, set_name=EXTRA,
      message="Internal Check: SEX in UASC is different to SEX in Header.")
def uasc_sex_differs(t) -> pd.Series:
    own = t.UASC["SEX"].replace(_SEX)
    header = header_value(t, "UASC", "SEX").replace(_SEX)
    return own.notna() & header.notna() & (own != header)


for _table, _code in _ONCE.items():
    rule(_code, "error", table=_table, fields=["CHILD"], years=ALL_YEARS, set_name=EXTRA,
         message=f"Internal Check: Child should only exist once in {_table}.")(_more_than_once(_table))


@rule("NoE", "error", table="Episodes", needs=["Episodes_last"], fields=["DECOM"], years=ALL_YEARS,
      set_name=EXTRA,
      message="This child has no episodes loaded for previous year even though child started to be looked "
              "after before this current year.")
def no_episodes_last_year(t) -> pd.Series:
    ep = t.Episodes
    return (ep["DECOM"] < t.collection_start) & ~child_in(t, "Episodes", "Episodes_last")
