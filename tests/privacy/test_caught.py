"""The five cases of issue 7, each caught with its place named and its value masked:
an ID inside a 备注 cell, a phone in a footer, an Excel-mangled ID, a bank account that fails Luhn in a
银行账号 column, a name in a lottery results text. Plus: text cells keep their digits (no invented ones).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import yaml

from gongkai.anonymize import scan_outputs
from gongkai.normalize import normalize
from gongkai.stages import assess_quality
from gongkai.validate import validate_table
from gongkai.problems import Problems
from gongkai.spec import load_spec
from messy import ACCOUNT_GAO, ID_IN_NOTE, ID_MA_NUMBER, _save
from scan import find_secrets

REPO = Path(__file__).resolve().parents[2]
HEADER = ["序号", "项目类别", "项目名称", "实施单位", "资金（万元）", "执行情况", "实际效果"]


def lottery_rows(header=HEADER, **cells) -> list[list]:
    """武定县's 2023 lottery-fund table: header in row 3, projects in rows 4–6; cells = {"D5": value} overwrite."""
    projects = [[1, "养老服务", "敬老院改造", "武定县民政局", 12.5, "已完成", "改善了50名老人的居住条件"],
                [2, "", "居家养老服务", "狮山镇人民政府", 8.25, "已完成", "服务老人120名"],
                [3, "儿童福利", "孤儿助学", "武定县民政局", 3.0, "已全部拨付", "资助孤儿30名"]]
    rows = [["武定县2023年度福利彩票公益金使用情况表"], ["填报单位：武定县民政局", "", "", "", "单位：万元"],
            list(header), *projects, ["合计", "", "", "", 23.75, "", ""]]
    for ref, value in cells.items():
        rows[int(ref[1:]) - 1][ord(ref[0]) - ord("A")] = value
    return rows


@pytest.fixture
def datasets(tmp_path, monkeypatch):
    """A copy of the specs where lottery-fund also reads a 备注 column (as results) and a 银行账号 column
    (as implementing_unit): what a spec that maps a column by mistake publishes."""
    folder = tmp_path / "datasets"
    folder.mkdir()
    for path in (REPO / "datasets").glob("*.yaml"):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        if spec["name"] == "lottery-fund":
            spec["source"]["columns"]["实际效果"]["aliases"].append("备注")
            spec["source"]["columns"]["实施单位"]["aliases"].append("银行账号")
        (folder / path.name).write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GONGKAI_DATASETS_DIR", str(folder))
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    return folder


def check(dataset: str, path: Path, period: str, names=()) -> Problems:
    """Every stage before packaging, as `gongkai validate` runs them, with a roster's names for the gate."""
    spec, problems = load_spec(dataset), Problems()
    table = normalize(spec, [path], period, problems)
    validate_table(spec.schema_path, table.frame, table.where, problems)
    assess_quality(spec, table, problems)
    scan_outputs(table, {}, problems, names)
    return problems


def pii(problems: Problems) -> list[tuple[str, str, str]]:
    return [(p.where.cell, p.params["kind_en"], p.params["masked"]) for p in problems if p.slug == "pii-detected"]


def test_an_id_inside_a_remarks_cell(datasets, tmp_path):
    header = [*HEADER[:6], "备注"]
    path = _save(tmp_path / "武定县2023.xlsx", {"2023年": lottery_rows(header, G4=f"受助人身份证{ID_IN_NOTE}")})
    problems = check("lottery-fund", path, "2023")
    assert pii(problems) == [("G4", "resident ID number", "[18位 18 digits]")]
    assert find_secrets([ID_IN_NOTE], [str([p.as_dict() for p in problems])]) == []


def test_a_phone_in_a_footer(datasets, tmp_path, make_samples):
    period = "2024-03"
    sheet = make_samples.layout("武定县", period, make_samples.true_figures()[("武定县", period)])
    path = _save(tmp_path / "武定县低保月报2024年3月.xlsx", {"2024年3月": sheet.rows})
    problems = check("relief-recipients", path, period)
    [dropped] = [p for p in problems if p.slug == "personal-data-dropped"]
    assert dropped.where.cell == f"A{sheet.total_row + 3}"          # the first footer row, below a blank one
    assert "联系电话" in dropped.message_zh and "手机号 138****5678" in dropped.message_zh
    assert not problems.errors
    assert find_secrets(["13812345678", "李某某"], [str([p.as_dict() for p in problems])]) == []


@pytest.mark.parametrize("value, masked", [("4.40524E+17", "[*.*****E+17]"),           # typed as text
                                           (float(ID_MA_NUMBER), "[*.*****E+17]")])    # a number cell
def test_an_excel_mangled_id(datasets, tmp_path, value, masked):
    path = _save(tmp_path / "武定县2023.xlsx", {"2023年": lottery_rows(D5=value)})
    problems = check("lottery-fund", path, "2023")
    assert pii(problems) == [("D5", KIND_MANGLED, masked)]


KIND_MANGLED = "ID or card number turned into scientific notation by Excel"


def test_a_number_cell_with_all_eighteen_digits_keeps_them_in_a_text_field(datasets, tmp_path):
    """A system that writes an ID as a number saves all its digits; calamine's float has lost three.
    The text field takes the saved digits, so the gate sees a real ID (not a made-up number)."""
    path = _save(tmp_path / "武定县2023.xlsx", {"2023年": lottery_rows(D5=1.0)})
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'(<c r="D5"[^>]*><v>)[^<]*(</v>)', rb"\g<1>" + ID_MA_NUMBER.encode() + rb"\g<2>",
                          parts[sheet])
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    spec, problems = load_spec("lottery-fund"), Problems()
    table = normalize(spec, [path], "2023", problems)
    assert table.frame["implementing_unit"].tolist()[1] == ID_MA_NUMBER
    scan_outputs(table, {}, problems)
    assert pii(problems) == [("D5", "resident ID number", "[18位 18 digits]")]


def test_a_bank_account_that_fails_luhn_in_an_account_column(datasets, tmp_path):
    header = [*HEADER[:3], "银行账号", *HEADER[4:]]
    path = _save(tmp_path / "武定县2023.xlsx", {"2023年": lottery_rows(header, D4=ACCOUNT_GAO)})
    problems = check("lottery-fund", path, "2023")
    # Every value of the column is personal, the Luhn-failing account among them, all masked by kind.
    assert ("D4", "bank account", "[19位 19 digits]") in pii(problems)
    assert {cell for cell, _, _ in pii(problems)} == {"D4", "D5", "D6"}
    assert find_secrets([ACCOUNT_GAO], [str([p.as_dict() for p in problems])]) == []


def test_an_undeclared_account_column_is_named_and_never_read(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))   # the specs as they are: no 银行账号 column
    header = [*HEADER, "银行账号"]
    rows = lottery_rows(header)
    rows[3].append(ACCOUNT_GAO)
    path = _save(tmp_path / "武定县2023.xlsx", {"2023年": rows})
    problems = check("lottery-fund", path, "2023")
    [dropped] = [p for p in problems if p.slug == "personal-column-dropped"]
    assert (dropped.where.cell, dropped.message_en) == (
        "H3", "column '银行账号' holds personal data (bank account): not read, not published")
    assert not problems.errors


@pytest.mark.parametrize("text, names, masked", [
    ("资助低保户户主王建国等3户改造住房", (), "王*国"),             # 户主 + a surname: a mention
    ("李秀英家庭获得临时救助", ("李秀英", "高国"), "李*英"),         # a roster's own name, anywhere
])
def test_a_name_in_a_lottery_results_text(datasets, tmp_path, text, names, masked):
    path = _save(tmp_path / "武定县2023.xlsx", {"2023年": lottery_rows(G5=text)})
    problems = check("lottery-fund", path, "2023", names)
    assert pii(problems) == [("G5", "name", masked)]


def test_project_texts_without_a_person_are_not_names(datasets, tmp_path):
    path = _save(tmp_path / "武定县2023.xlsx", {"2023年": lottery_rows(
        G4="户主要为农村留守老人，申请人数120人", G5="王家村敬老院改造，救助对象已全部入住")})
    assert pii(check("lottery-fund", path, "2023")) == []


def test_an_exception_a_stage_raises_reaches_prefect_masked():
    """Prefect logs a failed task's exception and keeps it in the task's state: its message is masked first."""
    from gongkai.flow import masking_errors

    def fails(value):
        raise ValueError(f"could not convert {value!r} for 532329196403122110")

    with pytest.raises(ValueError) as raised:
        masking_errors(fails)("13812345678")
    assert str(raised.value) == "could not convert '138****5678' for [18位 18 digits]"


def test_a_spec_that_declares_a_name_column_reads_individuals_on_purpose(datasets, tmp_path):
    """A roster spec (the roster engineer's) is not refused as person-level, and its name column is personal
    to the gate whatever the values: they never reach an output."""
    header = [*HEADER[:3], "户主姓名", *HEADER[4:], "联系电话"]
    spec_path = datasets / "lottery-fund.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["source"]["columns"]["实施单位"]["aliases"].append("户主姓名")
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    path = _save(tmp_path / "武定县2023.xlsx", {"2023年": lottery_rows(header, D4="高国")})
    problems = check("lottery-fund", path, "2023")
    assert "person-level-data" not in {p.slug for p in problems}
    assert ("D4", "name", "高*") in pii(problems)
