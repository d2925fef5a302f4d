"""A synthetic Ofsted provider list matching the generated placements, in the workbook layout
``statreturns.ssda903.ofsted`` reads (URN, provider type, sector, postcode, registration end)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from statreturns.files import write_bytes_atomic

# Placement type -> the provider type Ofsted registers it as (ofsted.PLACE_RULES reads these back).
PROVIDER_TYPE = {"K1": "Secure children's home", "K2": "Children's home", "K3": "Supported accommodation",
                 "R3": "Residential family centre", "S1": "Residential special school",
                 **{f"U{i}": "Independent fostering agency" for i in range(1, 7)},
                 **{f"A{i}": "Voluntary adoption agency" for i in range(3, 7)}}
SECTOR = {"PR1": "Local authority", "PR2": "Local authority", "PR3": "Health authority", "PR4": "Private",
          "PR5": "Voluntary"}


def provider_list(la_episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per URN of the generated placements: still registered, at the placement's postcode."""
    ep = la_episodes.loc[la_episodes["URN"].notna()].drop_duplicates("URN")
    frame = pd.DataFrame({
        "URN": ep["URN"].to_numpy(),
        "Provider type": ep["PLACE"].map(PROVIDER_TYPE).to_numpy(),
        "Sector": ep["PLACE_PROVIDER"].map(SECTOR).to_numpy(),
        "Setting postcode": ep["PL_POST"].to_numpy(),
        "Registration end date": pd.Series(pd.NaT, index=range(len(ep)), dtype="datetime64[ns]"),
    })
    return frame.sort_values("URN", kind="stable").reset_index(drop=True)


def write_provider_list(la_episodes: pd.DataFrame, path: Path) -> Path:
    """The list as an .xlsx workbook with a title line above the header, as Ofsted publishes it."""
    import io

    frame = provider_list(la_episodes)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as xl:
        frame.to_excel(xl, sheet_name="Providers", index=False, startrow=2)
        xl.book.set_properties({"created": dt.datetime(2000, 1, 1)})  # the same bytes for the same list
        sheet = xl.sheets["Providers"]
        sheet.write(0, 0, "Children's social care providers (synthetic list for generated extracts)")
        date_format = xl.book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.set_column(4, 4, 14, date_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomic(buffer.getvalue(), path)


__all__ = ["PROVIDER_TYPE", "SECTOR", "provider_list", "write_provider_list"]
