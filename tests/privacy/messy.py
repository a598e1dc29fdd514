"""Files full of made-up personal data, as a county bureau really sends them by mistake.

`write_roster`: a 花名册 (names, valid and invalid IDs, a 15-digit ID, IDs Excel mangled as a number
and as text, phones, bank accounts failing Luhn, addresses, an ID in a 备注 cell, a 填表人/联系电话
footer). `write_smuggled`: the relief template with personal data where it does not belong (a name
and a phone in count cells, an Excel-mangled ID in a count cell, 备注 and 联系电话 columns, a footer
naming a recipient). Each returns the secrets it holds: none may appear in anything the tool prints
or writes.
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def with_check_char(first17: str) -> str:
    """GB 11643, written out independently of the code under test."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def failing_luhn(partial: str) -> str:
    """partial + a last digit that makes the Luhn check fail."""
    for last in "0123456789":
        digits = [int(c) for c in partial + last][::-1]
        if (sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])) % 10 != 0:
            return partial + last
    raise AssertionError


ID_GAO = with_check_char("53232919640312211")
ID_LIU_BAD = ID_GAO[:6] + "19700805123" + ("0" if with_check_char("53232919700805123")[-1] != "0" else "1")
ID_OUYANG_15 = "532329540101231"                     # old 15-digit number, born 1954-01-01
ID_MA_NUMBER = with_check_char("53232919850612342")  # typed as a number: Excel keeps 15 digits
ID_YANG_TEXT = "4.40524E+17"                         # Excel's display of a number ID, saved as text
ID_LI_X = next(with_check_char(f"53232919900101{n:03d}") for n in range(1000)
               if with_check_char(f"53232919900101{n:03d}").endswith("X"))
ID_IN_NOTE = with_check_char("53232920010909113")
ACCOUNT_GAO = failing_luhn("622848025001234567")     # 19 digits, fails Luhn
ACCOUNT_LIU = failing_luhn("621700280000123")        # 16 digits, fails Luhn
PHONES = ["13812340001", "13912340002", "15087650003", "18612340004", "13698760005", "17712340006"]
NAMES = ["高国", "刘建兵", "欧阳秀英", "马春花", "杨福贵", "李秀英"]
ADDRESSES = ["狮山镇东门社区文化路12号", "高桥镇高桥村委会下村组7号", "插甸镇插甸村上街3号",
             "猫街镇猫街村中组15号", "白路镇白路村后山组2号", "万德镇万德村新街9号"]
FOOTER_NAME, FOOTER_PHONE = "吴丽华", "13900005555"


def roster_rows() -> tuple[list[list], list[str]]:
    """The roster's cells (row by row) and its secrets."""
    header = ["序号", "乡镇（街道）", "村（社区）", "户主姓名", "身份证号码", "家庭人口", "保障类别",
              "月保障金额（元）", "联系电话", "银行账号", "家庭住址", "备注"]
    ids = [ID_GAO, ID_LIU_BAD, ID_OUYANG_15, float(ID_MA_NUMBER), ID_YANG_TEXT, ID_LI_X]
    accounts = [ACCOUNT_GAO, " ".join(ACCOUNT_LIU[i:i + 4] for i in range(0, 16, 4)), ACCOUNT_GAO[:-1] + "0",
                ACCOUNT_LIU[:-1] + "9", ACCOUNT_GAO[:-2] + "11", ACCOUNT_LIU[:-2] + "22"]
    phones = [PHONES[0], f"{PHONES[1][:3]}-{PHONES[1][3:7]}-{PHONES[1][7:]}", *PHONES[2:]]
    villages = ["东门社区", "高桥村", "插甸村", "猫街村", "白路村", "万德村"]
    towns = ["狮山镇", "高桥镇", "插甸镇", "猫街镇", "白路镇", "万德镇"]
    rows = [["武定县2024年3月城乡低保对象花名册"] + [None] * 11,
            ["填报单位：武定县民政局"] + [None] * 11, header]
    for n, (name, id_number) in enumerate(zip(NAMES, ids)):
        note = f"身份证 {ID_IN_NOTE} 已核实" if n == 5 else None
        rows.append([n + 1, towns[n], villages[n], name, id_number, 3 + n % 3, "城市低保" if n < 3 else "农村低保",
                     640 + 10 * n, phones[n], accounts[n], ADDRESSES[n], note])
    rows += [[None] * 12, [f"填表人：{FOOTER_NAME}", None, None, None, f"联系电话：{FOOTER_PHONE}"] + [None] * 7]
    secrets = [*NAMES, ID_GAO, ID_LIU_BAD, ID_OUYANG_15, ID_MA_NUMBER, ID_MA_NUMBER[:15], ID_YANG_TEXT, ID_LI_X,
               ID_IN_NOTE, ACCOUNT_GAO, ACCOUNT_LIU, *(a.replace(" ", "") for a in accounts), *PHONES, *ADDRESSES,
               FOOTER_NAME, FOOTER_PHONE]
    return rows, sorted(set(secrets))


def _save(path: Path, sheets: dict[str, list[list]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(r, c, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_roster(folder: Path) -> tuple[Path, list[str]]:
    rows, secrets = roster_rows()
    return _save(folder / "武定县2024年3月低保花名册.xlsx", {"2024年3月": rows}), secrets


SMUGGLED_NAME, SMUGGLED_PHONE = "高秀兰", "13712345678"
SMUGGLED_ID = with_check_char("53232919771111222")
NOTE_ID = with_check_char("53232919660606444")
COLUMN_PHONE = "15912348888"
RECIPIENT = "王建国"


def _relief(make_samples, period: str) -> tuple[list[list], object]:
    sheet = make_samples.layout("武定县", period, make_samples.true_figures()[("武定县", period)])
    return [list(row) + [None, None] for row in sheet.rows], sheet


def write_smuggled(folder: Path, make_samples) -> tuple[Path, list[str]]:
    """武定县's relief template with personal data typed into it: in 2024-02 a phone and an ID typed as
    a number in count cells (they reach the sum checks), 备注 and 联系电话 columns and a footer naming a
    recipient; in 2024-03 a name in a count cell."""
    february, sheet = _relief(make_samples, "2024-02")
    february[sheet.header_row][-2:] = ["备注", "联系电话"]
    first = sheet.first_data_row
    february[first + 1][4] = SMUGGLED_PHONE                # a phone in 农村低保/户数
    february[first + 2][7] = float(SMUGGLED_ID)            # an ID typed as a number in 特困供养/人数
    february[first + 3][-2:] = [f"户主身份证{NOTE_ID}", COLUMN_PHONE]
    february[sheet.total_row + 2:] = [[f"填表人：{FOOTER_NAME}  联系电话：{FOOTER_PHONE}"],
                                      [f"备注：新增低保户户主{RECIPIENT}，身份证号{SMUGGLED_ID}"]]
    march, sheet = _relief(make_samples, "2024-03")
    march[sheet.first_data_row][1] = SMUGGLED_NAME         # a name in 城市低保/户数
    path = _save(folder / "武定县低保月报2024.xlsx", {"2024年2月": february, "2024年3月": march})
    secrets = [SMUGGLED_NAME, SMUGGLED_PHONE, SMUGGLED_ID, SMUGGLED_ID[:15], NOTE_ID, COLUMN_PHONE, RECIPIENT,
               FOOTER_NAME, FOOTER_PHONE]
    return path, secrets
