"""The PII gate: real identifiers are caught and shown masked; codes, periods and amounts never trip it."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gongkai.anonymize import scan_for_pii, scan_frame, scan_text
from gongkai.personal import find_pii, mask_name
from gongkai.problems import Problems, Severity, Where

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def with_check_char(first17: str) -> str:
    """The GB 11643 algorithm, written out independently of the code under test."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def with_luhn_digit(partial: str) -> str:
    for check in "0123456789":
        digits = [int(c) for c in partial + check][::-1]
        if (sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])) % 10 == 0:
            return partial + check
    raise AssertionError


VALID_ID = with_check_char("53232919850612123")          # 武定县, born 1985-06-12
VALID_ID_X = next(with_check_char(f"44052419900101{n:03d}") for n in range(1000)
                  if with_check_char(f"44052419900101{n:03d}").endswith("X"))
WRONG_CHECK_ID = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
BAD_DATE_ID = with_check_char("53232919851345123")         # month 13
CARD = with_luhn_digit("622202100112345678")               # 19-digit UnionPay
CARD16 = with_luhn_digit("402400715318321")
BAD_CARD = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(hit.kind, hit.masked) for hit in find_pii(text)]


def test_the_test_helpers_agree_with_known_examples():
    assert with_check_char("11010519491231002") == "11010519491231002X"   # the standard's own example
    assert with_luhn_digit("7992739871") == "79927398713"


def test_resident_id_with_valid_check_character_is_caught_and_masked():
    # named by kind and length only: not one digit of the number is shown
    assert kinds(f"身份证：{VALID_ID}") == [("id18", "[18位 18 digits]")]
    assert kinds(VALID_ID_X.lower()) == [("id18", "[18位 18 digits]")]


def test_every_check_character_is_verified():
    ids = [with_check_char(f"532329198506{day:02d}{seq:03d}") for day in range(1, 29) for seq in (101, 202, 303)]
    assert set(i[-1] for i in ids) == set("0123456789X")     # all eleven check characters occur
    for valid in ids:
        assert [k for k, _ in kinds(valid)] == ["id18"], valid
        for wrong in set("0123456789X") - {valid[-1]}:
            assert [k for k, _ in kinds(valid[:17] + wrong) if k == "id18"] == [], valid[:17] + wrong


@pytest.mark.parametrize("text", [WRONG_CHECK_ID, BAD_DATE_ID, "1" + VALID_ID, VALID_ID + "7"])
def test_eighteen_digits_that_are_not_an_id_are_not(text):
    assert [k for k, _ in kinds(text) if k.startswith("id")] == []


def test_old_fifteen_digit_id_with_a_plausible_date():
    assert kinds("身份证号532329850612123") == [("id15", "[15位 15 digits]")]
    assert kinds("532329851312123") == []        # month 13


@pytest.mark.parametrize("text", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                  "8613812345678", "+86-13812345678", "联系电话：13812345678。"])
def test_mobile_numbers_in_their_usual_spellings(text):
    assert kinds(text) == [("mobile", "138****5678")]


@pytest.mark.parametrize("text", ["12812345678", "138123456789", "2138123456780", "1381234567"])
def test_digit_runs_that_are_not_mobiles(text):
    assert kinds(text) == []


def test_every_luhn_digit_is_verified():
    cards = [with_luhn_digit(f"62220210011234{n:04d}") for n in range(40)]
    for card in cards:
        assert kinds(card) == [("bank-card", "[19位 19 digits]")]
        for wrong in set("0123456789") - {card[-1]}:
            assert kinds(card[:-1] + wrong) == [], card[:-1] + wrong


def test_bank_cards_pass_luhn():
    assert kinds(f"卡号 {CARD}") == [("bank-card", f"[{len(CARD)}位 {len(CARD)} digits]")]
    assert kinds(" ".join(CARD16[i:i + 4] for i in range(0, 16, 4))) == [("bank-card", "[16位 16 digits]")]
    assert kinds(BAD_CARD) == []


def test_email_addresses():
    assert kinds("请发至 zhangsan.wd@163.com 谢谢") == [("email", "z***@163.com")]


@pytest.mark.parametrize("text", ["4.40524E+17", "5.32329199E+17", "5.3232919850612E17", "4.4e+14"])
def test_excel_mangled_ids_in_scientific_notation(text):
    [(kind, masked)] = kinds(text)
    assert kind == "mangled-id" and masked.startswith("[*.*****E") and text[:3] not in masked


def test_full_width_digits_are_caught():
    assert kinds("电话：１３８１２３４５６７８") == [("mobile", "138****5678")]


@pytest.mark.parametrize("value", [
    "532329101000", "532329000000", "130102000000", "2024-03", "2024年3月", "20240301", "1234567.89",
    1234567.89, 532329101000, 4_586_100.0, 0, 1.2e13, "1.5E+06", "武定县", "城市低保/人数", "v2024.03",
    "https://example.org/dataset/relief-recipients", "sha256:" + "0123456789abcdef" * 4,
    # ids and hashes in a dataset's metadata: hex runs that look like 5e18
    "a3f5e18c9d", "2b7c4e1f-9e18-4e17-8e15-5e1600c0ffee", '"id": "5e18", "hash": "1e99"'])
def test_what_published_tables_are_made_of_never_trips_the_gate(value):
    problems = Problems()
    assert scan_for_pii([(Where(field="x"), value)], problems) == 0 and problems == []


def test_numbers_are_scanned_as_their_digits():
    problems = Problems()
    hits = scan_for_pii([(Where("a.xlsx", "3月", "B7"), 13812345678), (Where("a.xlsx", "3月", "C7"), 4.40524e17),
                         (Where("a.xlsx", "3月", "D7"), float(int(VALID_ID[:15])))], problems)
    assert hits == 3
    assert [(p.slug, p.severity, p.where.cell) for p in problems] == [
        ("pii-detected", Severity.ERROR, "B7"), ("pii-detected", Severity.ERROR, "C7"),
        ("pii-detected", Severity.ERROR, "D7")]
    assert problems[0].message_zh == "输出中发现疑似个人信息（手机号）：138****5678"
    assert problems[1].message_en == ("possible personal data in the output "
                                      "(ID or card number turned into scientific notation by Excel): [*.*****E+17]")


def test_scan_frame_checks_every_cell_and_the_column_names():
    frame = pd.DataFrame({
        "region_code": ["532329101000", "532329102000"],
        "urban_persons": pd.array([120, 13812345678], dtype="Int64"),
        "urban_amount": [61200.0, 4.40524e17],
        "note": [None, f"户主身份证 {VALID_ID}"],
        "联系人13900001111": [1, 2],
    })
    problems = Problems()
    hits = scan_frame(frame, lambda row, column: Where("out.csv", "", f"{column}[{row}]"), problems)
    assert hits == 4
    found = sorted((p.where.cell or p.where.field, p.params["masked"]) for p in problems)
    assert found == sorted([("urban_persons[1]", "138****5678"), ("urban_amount[1]", "[*.*****E+17]"),
                            ("note[1]", "[18位 18 digits]"),
                            ("列名 column name: 联系人139****1111", "139****1111")])
    assert all(VALID_ID not in p.message_zh and "13812345678" not in p.message_en for p in problems)


def test_hashes_and_resource_ids_in_package_metadata_are_not_identifiers():
    # A sha256 whose hex holds a 19-digit Luhn-valid run, and a UUID whose groups are all digits.
    digest = "ab" + CARD + "cd" * 21 + "e"
    uuid = "12345678-1234-5678-9012-" + CARD16[:12]
    assert len(digest) == 64
    package = json.dumps({"resources": [{"path": "2024-03.csv", "hash": f"sha256:{digest}", "id": uuid}]})
    problems = Problems()
    assert scan_text(package, Where("datapackage.json"), problems) == 0, [p.params for p in problems]
    # ...but a card number next to a word is still a card number.
    assert kinds(f"card{CARD}") == [("bank-card", "[19位 19 digits]")]


def test_scan_text_names_the_line_of_a_file():
    csv = "period,region_code,urban_amount\n2024-03,532329101000,61200.0\n2024-03,532329102000,填表人电话13812345678\n"
    problems = Problems()
    assert scan_text(csv, Where("relief-recipients-2024-03.csv"), problems) == 1
    assert str(problems[0].where) == "relief-recipients-2024-03.csv ! 第3行 line"


def test_metadata_json_with_an_email_is_blocked():
    metadata = {"title": "城乡低保", "maintainer_email": "li.ming@wuding.gov.cn", "notes": "只发布汇总数"}
    problems = Problems()
    assert scan_text(json.dumps(metadata, ensure_ascii=False), Where(field="CKAN metadata"), problems) == 1
    assert problems[0].params == {"kind": "电子邮箱", "kind_en": "e-mail address", "masked": "l***@wuding.gov.cn"}


@pytest.mark.parametrize("name, masked", [("刘建兵", "刘*兵"), ("刘兵", "刘*"), ("欧阳建国", "欧**国"), (" 王芳 ", "王*")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_an_id_typed_into_a_count_column_is_blocked():
    # An ID whose check digit does not hold (mistyped, or cut to 15 digits by Excel) is still no count.
    frame = pd.DataFrame({"rural_households": pd.array([120, 532329199001011237], dtype="Int64")})
    problems = Problems()
    assert scan_frame(frame, lambda row, col: Where("t.xlsx", "2024年3月", f"E{row + 5}"), problems) == 1
    assert (problems[0].where.cell, problems[0].params["masked"]) == ("E6", "[*.*****E+17]")


def test_every_problem_message_quotes_personal_values_masked():
    """The one masking function: whatever a message quotes, an ID, card, phone or e-mail never shows."""
    problems = Problems()
    problems.add("not-a-number", Where("f.xlsx", "s", "C7"), field="户主身份证号",
                 value=f"{VALID_ID} 电话13812345678 卡{CARD} li@example.com")
    text = problems[0].message_zh + problems[0].message_en
    for secret in (VALID_ID, "13812345678", CARD, "li@example.com"):
        assert secret not in text
    assert "[18位 18 digits]" in text and "138****5678" in text and "l***@example.com" in text
