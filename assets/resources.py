"""Resources: where things are, read when a run starts (never at import), and the tables IO manager."""

import os
import shutil
from pathlib import Path

import pandas as pd
from dagster import ConfigurableIOManager, ConfigurableResource, InputContext, OutputContext

from statreturns.reference import DATA_DIR
from statreturns.warehouse import default_url


class Settings(ConfigurableResource):
    """One deployment's settings. Paths may be relative to the working directory."""

    run_dir: str = "run"
    ssd_extract: str = str(DATA_DIR / "demo" / "ssd")
    school_extract: str = str(DATA_DIR / "demo" / "school" / "pupils.csv")
    la_code: str = "356"
    year: int = 2026
    database_url: str = ""  # empty: STATRETURNS_DATABASE_URL, else an SQLite file in run_dir

    def run_path(self, *parts: str) -> Path:
        path = Path(self.run_dir).joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def outputs(self, *parts: str) -> Path:
        return self.run_path("outputs", *parts)

    def warehouse_url(self) -> str:
        return self.database_url or os.environ.get("STATRETURNS_DATABASE_URL") or default_url(Path(self.run_dir))


class TablesIOManager(ConfigurableIOManager):
    """Stores a DataFrame, or a dict of DataFrames, as Parquet under the run folder.

    Table data stays in the run folder (which retention purges), never in Dagster's own storage.
    """

    run_dir: str = "run"

    def _path(self, context: OutputContext | InputContext) -> Path:
        return Path(self.run_dir) / "tables" / "__".join(context.asset_key.path)

    def handle_output(self, context: OutputContext, obj) -> None:
        path = self._path(context)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        frames = obj if isinstance(obj, dict) else {"__frame__": obj}
        for name, frame in frames.items():
            frame.to_parquet(path / f"{name}.parquet", index=False)

    def load_input(self, context: InputContext):
        path = self._path(context)
        if not path.exists():
            raise FileNotFoundError(f"no stored output for {context.asset_key.to_user_string()}: materialise it first")
        frames = {p.stem: pd.read_parquet(p) for p in sorted(path.glob("*.parquet"))}
        return frames["__frame__"] if list(frames) == ["__frame__"] else frames
