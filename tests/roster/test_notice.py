"""The village notice (公示): masked names, sizes and amounts per village, and nothing else personal."""

from __future__ import annotations

import pytest
from python_calamine import CalamineWorkbook

from cli import gongkai
from gongkai.personal import mask_name


@pytest.fixture(scope="module")
def notices(rosters, tmp_path_factory):
    folder, truth = rosters
    out = tmp_path_factory.mktemp("notices")
    result = gongkai("notice", "relief-roster", "--period", "2024-03", "--source", str(folder),
                     "--out", str(out))
    return result, out, truth


def _xlsx_text(path) -> str:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return "\n".join("\t".join(str(v) for v in row) for row in sheet)


def test_one_xlsx_and_one_html_per_village_and_the_folder_is_printed(notices):
    result, out, truth = notices
    assert result.exit_code == 0, result.output
    villages = {(h.township, h.village) for h in truth.households["2024-03"]}
    assert len(list(out.glob("*.xlsx"))) == len(list(out.glob("*.html"))) == len(villages)
    assert str(out) in " ".join(result.output.split()) and "不上传" in result.output
    single = (out / "2024-03-高桥镇-花桥村民委员会-公示.html").read_text(encoding="utf-8")
    assert "武定县高桥镇花桥村民委员会2024年3月农村低保对象公示" in single and "size: A4" in single


def test_each_household_is_listed_masked_with_its_size_and_amount(notices):
    _, out, truth = notices
    for h in truth.households["2024-03"]:
        stem = f"2024-03-{h.township}-{h.village}-公示"
        html = (out / f"{stem}.html").read_text(encoding="utf-8")
        row = f"<td>{mask_name(h.name)}</td><td>{h.size}</td><td>{h.amount:.2f}</td><td>{h.category}</td>"
        assert row in html
        assert mask_name(h.name) in _xlsx_text(out / f"{stem}.xlsx")


def test_no_id_phone_account_address_or_full_name_is_in_any_notice(notices):
    _, out, truth = notices
    text = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.html"))
    text += "".join(_xlsx_text(p) for p in out.glob("*.xlsx"))
    people = truth.households["2024-03"]
    secrets = [s for h in people for s in (h.id18, h.phone, h.account, h.address)]
    secrets += [h.name for h in people if len(h.name) > 1]
    assert [s for s in secrets if s in text] == []


def test_a_dataset_that_is_not_a_roster_is_refused():
    result = gongkai("notice", "relief-recipients", "--period", "2024-03")
    assert result.exit_code == 2 and "not a roster dataset" in result.output
