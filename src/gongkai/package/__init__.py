"""Package a period: CSV (UTF-8 with BOM), typed Parquet, the cumulative series and datapackage.json."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gongkai.settings import output_dir
from gongkai.spec import Spec

# Dates stay ISO text (2024-07-01) in every output, so CSV, Parquet and DataStore agree byte for byte.
ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string(), "date": pa.string()}
SERIES = "all"  # the period label of the cumulative series
# A spreadsheet program opening the CSV runs a cell starting with one of these as a formula
# (OWASP "CSV injection"): =HYPERLINK(...) or +cmd|' /C calc'!A0 in a lottery project's name.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class PackagedFile:
    path: Path
    period: str          # "2024-03", or "all" for the cumulative series
    format: str          # "CSV" or "Parquet"
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Layout:
    """Where a dataset's outputs live: published releases, the one being staged, the series."""

    root: Path

    def release(self, period: str) -> Path:
        return self.root / "releases" / period

    def staging(self, period: str) -> Path:
        return self.root / "staging" / period

    @property
    def series(self) -> Path:
        return self.root / "series"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def reviews(self) -> Path:
        """Every review decision of the dataset (审查记录), kept beside its releases."""
        return self.root / "reviews"

    def published_periods(self) -> list[str]:
        # A period counts once its files are there: an empty folder (a download that failed) does not.
        return sorted(p.name for p in (self.root / "releases").glob("*")
                      if p.is_dir() and p.name[:4].isdigit() and any(p.glob("*.parquet")))

    def revisions(self, period: str) -> list[int]:
        """The revisions of a period published here (1 for r1, 2 for r2 ...), oldest first."""
        return sorted(revision_of(p.stem) for p in self.release(period).glob("*.parquet"))

    def current(self, name: str, period: str, suffix: str = "parquet") -> Path:
        """The file of the latest revision of a published period: what the series is built from."""
        return self.release(period) / f"{release_stem(name, period, self.revisions(period)[-1])}.{suffix}"

    def commit(self, period: str) -> None:
        """Make a staged release count as published (called only after the portal took it).

        The release folder keeps every revision side by side: the new revision's files are
        added, the series (all/) and datapackage.json are replaced by this release's.
        """
        target = self.release(period)
        target.mkdir(parents=True, exist_ok=True)
        staging = self.staging(period)
        for item in staging.iterdir():
            if (target / item.name).is_dir():
                shutil.rmtree(target / item.name)
            item.replace(target / item.name)
        staging.rmdir()


def layout_for(spec: Spec) -> Layout:
    """A dataset's outputs under GONGKAI_OUT (default out/): out/<dataset>/."""
    return Layout(output_dir() / spec.name)


REVISION = re.compile(r"-r(\d+)$")


def release_stem(name: str, period: str, revision: int) -> str:
    """File stem of a revision: relief-recipients-2024-03 for r1, relief-recipients-2024-03-r2 after."""
    return f"{name}-{period}" if revision == 1 else f"{name}-{period}-r{revision}"


def revision_of(stem: str) -> int:
    match = REVISION.search(stem)
    return int(match.group(1)) if match else 1


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def arrow_schema(schema) -> pa.Schema:
    fields = schema.fields
    return pa.schema([pa.field(f.name, ARROW_TYPES[f.type], nullable=not f.required) for f in fields])


def _defuse(value):
    """A text cell a spreadsheet would run as a formula, with a leading ' so it shows as text."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        value = "'" + value
    # Python's csv writer quotes a cell holding \n (our line end) but not a lone \r, which every
    # reader takes for a line break; as \n the line break stays inside the quoted cell.
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    text = [name for name in frame.columns if not pd.api.types.is_numeric_dtype(frame[name])]
    return frame.assign(**{name: frame[name].map(_defuse, na_action="ignore") for name in text})


def write_table(spec: Spec, frame: pd.DataFrame, folder: Path, stem: str, period: str = "",
                schema=None) -> list[PackagedFile]:
    """Write `frame` as CSV and Parquet under `folder`, typed by `schema` (default: the published schema).

    In the CSV every text cell starting with =, +, -, @, a tab or a carriage return gets a leading
    apostrophe (') so Excel shows it instead of running it as a formula; a plain number such as
    "-12.5" is left alone, and a line break inside a cell is written as \n. The Parquet file (and
    the DataStore loaded from it) keeps the raw text.
    """
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"{stem}.csv", folder / f"{stem}.parquet"
    # The BOM makes Excel open Chinese text correctly; LF endings keep files byte-stable.
    _csv_safe(frame).to_csv(csv_path, index=False, encoding="utf-8-sig", lineterminator="\n")
    table = pa.Table.from_pandas(frame, schema=arrow_schema(schema or spec.published_schema), preserve_index=False)
    # No pandas metadata: the file must be byte-identical for identical content.
    pq.write_table(table.replace_schema_metadata(None), parquet_path, compression="zstd")
    return [PackagedFile(csv_path, period, "CSV", sha256(csv_path)),
            PackagedFile(parquet_path, period, "Parquet", sha256(parquet_path))]


def read_period(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def row_order(spec: Spec) -> list[str]:
    """Rows are sorted by the primary key, period first: the same content gives the same bytes."""
    key = list(spec.schema.primary_key)
    return ["period", *[k for k in key if k != "period"]] if "period" in key else key


def package_period(spec: Spec, frame: pd.DataFrame, period: str, layout: Layout,
                   revision: int = 1) -> list[PackagedFile]:
    """Stage one revision of a period and rebuild the series from the latest revision of every
    other published period plus this one."""
    staging = layout.staging(period)
    if staging.exists():
        shutil.rmtree(staging)
    order = row_order(spec)
    ordered = frame.sort_values(order, kind="stable").reset_index(drop=True)
    files = write_table(spec, ordered, staging, release_stem(spec.name, period, revision), period)
    earlier = [read_period(layout.current(spec.name, p)) for p in layout.published_periods() if p != period]
    series = pd.concat([*earlier, ordered]).sort_values(order, kind="stable")
    files += write_table(spec, series.reset_index(drop=True), staging / SERIES, f"{spec.name}-{SERIES}", SERIES)
    from gongkai.package.chart import draw_charts   # matplotlib loads only where a chart is drawn

    files += [PackagedFile(path, SERIES, "PNG", sha256(path)) for path in draw_charts(spec, series, staging / SERIES)]
    return files


def published_series(spec: Spec) -> pd.DataFrame | None:
    """Every published period as one frame (None before the first release), for period-over-period
    and history checks and for the cells suppressed last period."""
    layout = layout_for(spec)
    periods = layout.published_periods()
    if not periods:
        return None
    return pd.concat([read_period(layout.current(spec.name, p)) for p in periods], ignore_index=True)


def last_release_before(spec: Spec, period: str) -> pd.DataFrame | None:
    """The published frame of the latest period before `period` (None before the first release)."""
    series = published_series(spec)
    if series is None or "period" not in series.columns:
        return None
    earlier = series[series["period"] < period]
    return earlier[earlier["period"] == earlier["period"].max()] if not earlier.empty else None


def datapackage(spec: Spec, files: list[PackagedFile], path_for, version: str) -> dict:
    """A Frictionless Data Package describing `files`; `path_for` gives each file's path or URL."""
    schema = spec.published_schema.to_descriptor()
    ckan = spec.ckan
    return {
        "name": spec.name,
        "title": f"{ckan.title} / {ckan.title_en}",
        "description": f"{ckan.notes}\n{ckan.notes_en}",
        "version": version,
        "licenses": [{"name": ckan.license_id}],
        "resources": [
            {
                "name": f.path.stem.lower() + ("-parquet" if f.format == "Parquet" else "-csv"),
                "path": path_for(f),
                "format": f.format.lower(),
                "mediatype": "text/csv" if f.format == "CSV" else "application/vnd.apache.parquet",
                # Frictionless reads Parquet only from local disk; as a "file" it still checks
                # the hash of the published URL, and the schema documents the columns.
                **({"encoding": "utf-8-sig"} if f.format == "CSV" else {"type": "file"}),
                "hash": f"sha256:{f.sha256}",
                "bytes": f.path.stat().st_size,
                "schema": schema,
            }
            for f in files if f.format in ("CSV", "Parquet")
        ] + [_chart_resource(f, path_for) for f in files if f.format == "PNG"],
    }


def _chart_resource(f: PackagedFile, path_for) -> dict:
    """A trend chart in datapackage.json: a plain file with its hash (no table schema)."""
    return {"name": f.path.stem.lower() + "-png", "path": path_for(f), "type": "file", "format": "png",
            "mediatype": "image/png", "hash": f"sha256:{f.sha256}", "bytes": f.path.stat().st_size}


def write_datapackage(descriptor: dict, path: Path) -> Path:
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
