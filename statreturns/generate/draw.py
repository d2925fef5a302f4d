"""Drawing helpers the generator's modules share: weighted codes, ids, dates, fake names, postcodes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from statreturns.reference import data_path
from statreturns.upn import check_letters

FORENAMES = ("Testy", "Fakeira", "Mocksy", "Sampla", "Dummo", "Placeholda", "Fictiona", "Synthia", "Demetra",
             "Proxima", "Stubby", "Exampla", "Notareal", "Madeup", "Pretenda", "Imagina")
SURNAMES = ("Testperson", "Fakeson", "Mockworth", "Dummyfield", "Samplewood", "Synthetica", "Notrealton",
            "Placeholder", "Fictionby", "Demoford", "Stubbington", "Examplesmith", "Proxyham", "Madeupshire")

UPN_LAS = ["356", "352", "350", "357", "358", "359", "353", "354", "355", "351", "341", "876", "938"]

DAY = np.timedelta64(1, "D")


def pick_codes(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def make_ids(prefix: str, numbers: np.ndarray, width: int = 7) -> np.ndarray:
    if len(numbers) == 0:
        return np.array([], dtype=object)
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def random_days(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    return rng.integers(low, high + 1, size=n) * DAY


def weekday_before(days: np.ndarray) -> np.ndarray:
    """Each date, or the Friday before it when it falls on a weekend (meetings are held on weekdays)."""
    d = days.astype("datetime64[D]")
    dow = (d.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return d - np.where(dow == 5, 1, np.where(dow == 6, 2, 0)) * DAY


def weekday_after(days: np.ndarray) -> np.ndarray:
    """Each date, or the Monday after it when it falls on a weekend."""
    d = days.astype("datetime64[D]")
    dow = (d.astype("int64") + 3) % 7
    return d + np.where(dow == 5, 2, np.where(dow == 6, 1, 0)) * DAY


def as_dates(values: np.ndarray) -> pd.Series:
    return pd.Series(values.astype("datetime64[D]").astype("datetime64[ns]"))


def nat_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = values.astype("datetime64[D]").copy()
    out[mask] = np.datetime64("NaT")
    return out


def load_postcodes() -> pd.DataFrame:
    return pd.read_csv(data_path("reference", "demo_postcodes.csv"), dtype="str")


def make_upns(rng: np.random.Generator, n: int, year: int, age_days: np.ndarray) -> np.ndarray:
    la = np.array(UPN_LAS)[np.where(rng.random(n) < 0.7, 0, rng.integers(1, len(UPN_LAS), n))]
    school = np.char.zfill(rng.integers(2000, 7000, n).astype(str), 4)
    allocated = (year - (age_days // 365) + 4) % 100  # UPNs are issued on first school entry
    yy = np.char.zfill(allocated.astype(str), 2)
    serial = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
    body = pd.Series(np.char.add(np.char.add(np.char.add(la, school), yy), serial))
    return (check_letters(body) + body).to_numpy(dtype=object)
