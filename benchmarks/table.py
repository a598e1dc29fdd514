"""A benchmark's figures as an aligned text table: a header, a rule, then the rows."""


def print_rows(rows: list[tuple[str, ...]], right: tuple[int, ...] = (1, 2, 4)) -> None:
    """Print `rows` (the first is the header) with the columns in `right` aligned to the right."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(_pad(text, widths[i], right=i in right) for i, text in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill
