"""Item hierarchies from outline markers, 其中 rows and indentation (normalize/outline.py)."""

from __future__ import annotations

from gongkai.normalize.outline import Outline


def tree(labels: list[str]) -> list[tuple[str, str, str | None]]:
    outline = Outline()
    items = [outline.add(label) for label in labels]
    return [(item.name, item.code, item.parent.name if item.parent else None) for item in items]


def test_a_marked_item_after_a_of_which_group_is_its_parents_sibling():
    # The second row of （二）'s 其中 group is unmarked: it is no heading of （三）.
    assert tree(["（一）因公出国（境）费", "（二）公务用车购置及运行费", "　　其中：公务用车购置费",
                 "　　公务用车运行费", "（三）公务接待费"]) == [
        ("因公出国（境）费", "1", None),
        ("公务用车购置及运行费", "2", None),
        ("公务用车购置费", "2.1", "公务用车购置及运行费"),
        ("公务用车运行费", "2.2", "公务用车购置及运行费"),
        ("公务接待费", "3", None),
    ]


def test_an_unmarked_heading_still_heads_the_marked_items_under_it():
    assert tree(["三公经费合计", "（一）因公出国（境）费", "（二）公务接待费"]) == [
        ("三公经费合计", "1", None),
        ("因公出国（境）费", "1.1", "三公经费合计"),
        ("公务接待费", "1.2", "三公经费合计"),
    ]
