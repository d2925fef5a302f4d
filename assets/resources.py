"""Resources: where things are, read when a run starts (never at import), and the tables IO manager."""

import os
import shutil
from pathlib import Path

import pandas as pd
from dagster import ConfigurableIOManager, ConfigurableResource, InputContext, OutputContext

from assets.partitions import Partition
from statreturns import warehouse


class Settings(ConfigurableResource):
    """One deployment's settings. Paths may be relative to the working directory. Where the extracts
    are is the sources file's business (`STATRETURNS_SOURCES`, see assets/ingest.py)."""

    run_dir: str = "run"
    la_code: str = "356"  # the LA that unpartitioned work (retention) acts on
    database_url: str = ""  # empty: STATRETURNS_DATABASE_URL, else one SQLite file per LA in run_dir

    def run_path(self, *parts: str) -> Path:
        path = Path(self.run_dir).joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def outputs(self, *parts: str) -> Path:
        return self.run_path("outputs", *parts)

    def partition_outputs(self, partition: Partition, *parts: str) -> Path:
        return self.outputs(*partition.folder().parts, *parts)

    def warehouse_url(self, la: str | None = None) -> str:
        """The LA's warehouse URL: the configured one (with `{la}` filled in), or its SQLite file."""
        return self.warehouse_location(la)[0]

    def warehouse_location(self, la: str | None = None) -> tuple[str, str | None]:
        """(URL, schema) of one LA's warehouse: its own SQLite file, URL or server schema."""
        la = la or self.la_code
        url = self.database_url or os.environ.get("STATRETURNS_DATABASE_URL")
        return warehouse.url_for_la(url, la) if url else (warehouse.default_url(Path(self.run_dir), la), None)

    def warehouse_engine(self, la: str | None = None):
        return warehouse.engine_for(*self.warehouse_location(la))


class TablesIOManager(ConfigurableIOManager):
    """Stores a DataFrame, or a dict of DataFrames, as Parquet under the run folder.

    Table data stays in the run folder (which retention purges), never in Dagster's own storage.
    """

    run_dir: str = "run"

    def _path(self, context: OutputContext | InputContext) -> Path:
        path = Path(self.run_dir) / "tables" / "__".join(context.asset_key.path)
        if context.has_asset_partitions:
            dims = context.asset_partition_key.keys_by_dimension
            path = path / dims["year"] / dims["la"]
        return path

    def handle_output(self, context: OutputContext, obj) -> None:
        path = self._path(context)
        _DECODED.pop(path, None)
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
        frames = _read_frames(path)
        return frames["__frame__"] if list(frames) == ["__frame__"] else frames


# Parquet already decoded in this process, by folder: (the files' names, sizes and modification times,
# the frames). One partition's steps read the same tables several times (the canonical tables feed six
# steps); in-process each folder is decoded once and every step gets its own copy. Only the latest
# partition's folders are kept, so a process running many partitions holds one partition's tables.
_DECODED: dict[Path, tuple[tuple, dict[str, pd.DataFrame]]] = {}


def _read_frames(path: Path) -> dict[str, pd.DataFrame]:
    files = sorted(path.glob("*.parquet"))
    stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    known = _DECODED.get(path)
    if known is None or known[0] != stamp:
        if any(p.parts[-2:] != path.parts[-2:] for p in _DECODED):
            _DECODED.clear()  # another partition's (partitioned folders end in year/la)
        known = (stamp, {f.stem: pd.read_parquet(f) for f in files})
        _DECODED[path] = known
    # Deep copies: a step may change its inputs in place; the next step must still see the stored data.
    return {name: frame.copy(deep=True) for name, frame in known[1].items()}
