"""The console table of problems: nothing a data officer needs is cut off, however long the file name."""

from __future__ import annotations

from rich.console import Console

from gongkai.report import WHERE_MAX_WIDTH, print_problems

LONG_FILE = ("武定县民政局城乡低保特困供养临时救助月报表_2024年3月_第二次修订版_经办人复核后重新报送_"
             "请勿覆盖原件_final_v3_copy(2).xlsx")
LONG_FILE = (LONG_FILE + "_" + "x" * 120)[:120]
MESSAGE_ZH = "合计行“农村低保/人数”为 8694，各组成部分之和为 8684（差 10），请核对武定县狮山镇、近城镇和插甸镇的填报数"
MESSAGE_EN = "the 合计 row says 8694 for '农村低保/人数' but its parts add up to 8684 (off by 10)"


def columns_of(export: str) -> list[str]:
    """The text of each column, its lines joined, box characters and whitespace removed."""
    columns: dict[int, list[str]] = {}
    for line in export.splitlines():
        if "│" not in line:
            continue  # borders and rules
        for index, cell in enumerate(line.split("│")[1:-1]):
            columns.setdefault(index, []).append(cell)
    return ["".join("".join(cells).split()) for _, cells in sorted(columns.items())]


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_a_120_character_file_name_folds_and_the_chinese_message_is_whole():
    assert len(LONG_FILE) == 120
    where = f"{LONG_FILE} ! 2024年3月 ! F16"
    console = Console(width=100, record=True, force_terminal=False, color_system=None)
    print_problems([{"severity": "error", "where": where, "message_zh": MESSAGE_ZH, "message_en": MESSAGE_EN,
                     "fix_zh": "核对该行或其组成部分", "fix_en": "correct this row or its parts"}], console)
    export = console.export_text()

    lines = export.splitlines()
    assert all(console.measure(line).maximum <= 100 for line in lines)
    assert "…" not in export  # nothing was truncated with an ellipsis
    severity, where_column, message_column = columns_of(export)
    assert squeeze(where) == where_column.removeprefix(squeeze("位置 where"))
    assert squeeze(MESSAGE_ZH) in message_column
    assert squeeze(MESSAGE_EN) in message_column
    assert squeeze("→ 核对该行或其组成部分 / correct this row or its parts") in message_column
    # The where column stays within its maximum, leaving the message most of the width.
    widths = [len(cell) for cell in lines[0].strip("┏┓").split("┳")]
    assert widths[1] <= WHERE_MAX_WIDTH + 2  # padding
    assert widths[2] >= 40


def test_a_short_place_is_not_folded():
    console = Console(width=100, record=True, color_system=None)
    print_problems([{"severity": "warning", "where": "sum-mismatch.xlsx ! 2024年3月 ! F16", "message_zh": "提示",
                     "message_en": "note", "fix_zh": "", "fix_en": ""}], console)
    assert "sum-mismatch.xlsx ! 2024年3月 ! F16" in console.export_text()
