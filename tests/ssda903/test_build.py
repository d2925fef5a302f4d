"""The 903 build's vectorised date arithmetic against pandas' own."""

import numpy as np
import pandas as pd

from statreturns.ssda903.build import _plus_years


def test_plus_years_matches_date_offset_including_29_february():
    rng = np.random.default_rng(7)
    days = rng.integers(-20_000, 25_000, 2_000)
    dates = pd.to_datetime(days, unit="D") + pd.to_timedelta(rng.integers(0, 86_400, 2_000) * (days % 7 == 0), unit="s")
    leap_days = pd.to_datetime(["2000-02-29", "2004-02-29", "2024-02-29", "1996-02-29"])
    dates = pd.DatetimeIndex([*dates, *leap_days, *leap_days])
    years = np.concatenate([rng.integers(-25, 30, 2_000), [1, 4, 100, -4], [17, 18, 21, 20]]).astype("int64")
    expected = np.array([d + pd.DateOffset(years=int(n)) for d, n in zip(dates, years, strict=True)],
                        dtype="datetime64[ns]")
    got = _plus_years(dates.to_numpy(dtype="datetime64[ns]"), years)
    assert (got == expected).all()
    assert got[2_000 + 0] == np.datetime64("2001-02-28")  # no 29 February in 2001
