"""Trend charts (图表图解): one PNG per chart declared in the spec, drawn from the published series.

Each chart plots, per period, the total of its measures over the rows of the series (optionally
only the rows matching `where`). A period where any of those cells is empty (suppressed, flagged
"C" in `<field>_flag`, or not reported) has no total: the line has a gap there, never a 0 or a
partial sum. The same data gives the same bytes (fixed size and dpi, no timestamp or software in
the PNG), so an unchanged rerun uploads nothing.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in flows

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from gongkai.spec import Chart, Spec  # noqa: E402

# Noto Sans CJK (Debian fonts-noto-cjk, installed by `make debian-packages`): without a CJK font
# matplotlib draws Chinese labels as empty boxes.
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC"]
SIZE_INCHES, DPI = (8.0, 4.5), 100
GAP_NOTE = "空缺：该期有抑制或缺报的单元格，不作合计 / gap: a suppressed or missing cell, no total shown"


class ChartFontMissing(Exception):
    """No CJK font is installed: the chart would show boxes instead of Chinese."""

    def __init__(self, chart: str):
        super().__init__(f"no CJK font installed for trend chart {chart}: run `make debian-packages`")
        self.chart = chart


def _known_cjk_font() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def cjk_font(chart: Chart) -> str:
    if _known_cjk_font() is None:
        # matplotlib's font cache predates a font installed later: add the system's Noto CJK files.
        for path in font_manager.findSystemFonts():
            if Path(path).name.startswith("NotoSansCJK"):
                font_manager.fontManager.addfont(path)
    found = _known_cjk_font()
    if found is None:
        raise ChartFontMissing(chart.name)
    return found


def totals(frame: pd.DataFrame, chart: Chart) -> pd.DataFrame:
    """Per period (rows, sorted) the total of each measure (columns); NaN where a cell is empty."""
    rows = frame
    for field, value in chart.where.items():
        rows = rows[rows[field].astype("string") == value]
    grouped = rows.groupby(chart.by, sort=True)[chart.measures]
    sums = grouped.sum(min_count=1).astype("float64")
    complete = grouped.count().eq(grouped.size(), axis=0)
    return sums.where(complete)


def chart_path(spec: Spec, chart: Chart, folder: Path) -> Path:
    return folder / f"{spec.name}-{chart.name}.png"


def draw(spec: Spec, chart: Chart, frame: pd.DataFrame, path: Path) -> Path:
    """Draw one chart of `frame` (the series) to `path`."""
    schema = spec.schema
    data = totals(frame, chart)
    plt.rcParams.update({"font.family": cjk_font(chart)})
    figure, axes = plt.subplots(figsize=SIZE_INCHES, dpi=DPI)
    try:
        positions = range(len(data.index))
        for measure in chart.measures:
            field = schema.get_field(measure)
            axes.plot(positions, data[measure].to_numpy(), marker="o", label=field.title or measure)
        axes.set_xticks(list(positions), [str(p) for p in data.index], rotation=45 if len(data) > 8 else 0)
        axes.set_title(f"{chart.title}\n{chart.title_en}", fontsize=11)
        unit = schema.get_field(chart.measures[0]).to_descriptor().get("unit")
        if unit:
            axes.set_ylabel(f"单位 / unit: {unit}")
        axes.ticklabel_format(axis="y", style="plain", useOffset=False)
        axes.set_ylim(bottom=0)   # counts and amounts from zero: a flat line must not look like a swing
        axes.grid(axis="y", alpha=0.3)
        axes.legend(fontsize=8, loc="best")
        if data.isna().to_numpy().any():
            figure.text(0.01, 0.01, GAP_NOTE, fontsize=7, color="0.35")
        figure.tight_layout(rect=(0, 0.04, 1, 1))   # room for the gap note under the axis
        path.parent.mkdir(parents=True, exist_ok=True)
        # No Software/creation metadata: identical data gives identical bytes.
        figure.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    finally:
        plt.close(figure)
    return path


def draw_charts(spec: Spec, series: pd.DataFrame, folder: Path) -> list[Path]:
    """Every chart the spec declares, drawn from the whole series into `folder`."""
    return [draw(spec, chart, series, chart_path(spec, chart, folder)) for chart in spec.charts]
