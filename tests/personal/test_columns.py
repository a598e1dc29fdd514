"""Personal columns by their header: the table of patterns, what it must not take for personal, masking by kind."""

from __future__ import annotations

import pytest

from gongkai.personal import (find_pii, is_person_level, looks_like_name, mask_as, personal_columns,
                              personal_kind, quote)


@pytest.mark.parametrize("header, kind", [
    ("身份证号码", "id-number"), ("公民身份号码", "id-number"), ("证件号码（18位）", "id-number"), ("身份证号", "id-number"),
    ("户主姓名", "name"), ("姓名", "name"), ("申请人", "name"), ("户主", "name"), ("申请人/姓名", "name"),
    ("联系电话", "phone"), ("手机号码", "phone"), ("联系方式", "phone"),
    ("银行账号", "bank-account"), ("卡号", "bank-account"), ("银行卡号", "bank-account"), ("账户", "bank-account"),
    ("家庭住址", "address"), ("详细地址", "address"), ("住址", "address"),
    (" 户主 姓名 ", "name"), ("身份证号码/532329196403122110", "id-number"),   # spaces; a data row read as a level
])
def test_personal_headers_and_their_kind(header, kind):
    assert personal_kind(header) == kind


@pytest.mark.parametrize("header", [
    "乡镇（街道）", "城市低保/户数", "特困供养/人数", "项目名称", "实施单位", "资金（万元）", "文号", "执行日期",
    "申请人数", "户主人数", "身份证办理数量",                      # counts of people are aggregates
    "联系电话：13800002222", "填表人：吴某某",                     # footers, not headers
    "联系人", "填表人",                                              # staff, not recipients
])
def test_aggregate_headers_and_footers_are_not_personal(header):
    assert personal_kind(header) is None


def test_a_roster_header_is_person_level_and_an_aggregate_one_is_not():
    roster = ["序号", "乡镇（街道）", "户主姓名", "身份证号码", "家庭人口", "联系电话"]
    assert personal_columns(roster) == {2: "name", 3: "id-number", 5: "phone"}
    assert is_person_level(personal_columns(roster).values())
    assert not is_person_level(personal_columns(["项目名称", "实施单位", "联系电话"]).values())   # a contact only
    assert is_person_level(["phone", "bank-account"])


@pytest.mark.parametrize("kind, value, masked", [
    ("name", "刘建兵", "刘*兵"), ("id-number", "532329196403122110", "[18位 18 digits]"),
    ("id-number", "4.40524E+17", "[11位 11 digits]"), ("bank-account", "6228 4802 5001 2345 670", "[19位 19 digits]"),
    ("phone", "0878-8212345", "087****2345"), ("phone", "138 1234 5678", "138****5678"),
    ("address", "狮山镇东门社区文化路12号", "[住址 address]"),
])
def test_values_of_a_personal_column_are_masked_by_kind(kind, value, masked):
    assert mask_as(kind, value) == masked


def test_quote_masks_a_personal_column_and_a_name_typed_into_a_count():
    assert quote("户主姓名", "高国") == "高*"
    assert quote("城市低保/户数", "高秀兰") == "高*兰"          # a roster pasted into the template
    assert quote("城市低保/户数", "约120") == "约120"
    assert quote("乡镇（街道）", "高桥镇") == "高桥镇"          # a place is no name
    assert not looks_like_name("待定") and not looks_like_name("王家村")


def test_in_an_account_column_any_16_to_19_digits_are_an_account():
    failing = "6228480250012345670"
    assert [h.kind for h in find_pii(failing)] == []             # Luhn fails: not a card by its shape
    assert [(h.kind, h.masked) for h in find_pii(failing, column_kind="bank-account")] == [
        ("bank-account", "[19位 19 digits]")]
