"""Unit tests for the tokenizer, the Solr-subset parser and the SQL it compiles to.

These modules have no CKAN imports, so they run in any Python and need no portal
(hence no integration/portal marker).
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "portal" / "ckanext-gongkai"))

from ckanext.gongkai.querysql import compile_where, order_by  # noqa: E402
from ckanext.gongkai.textsearch import (  # noqa: E402
    And, Not, Or, QuerySyntaxError, Term, document_tokens, parse_query, query_tokens, tsquery_text)


def test_documents_index_cjk_bigrams_single_characters_and_lowercase_words():
    tokens = document_tokens("城乡低保 Dibao 2024年")
    assert {"城乡", "乡低", "低保", "城", "保", "dibao", "2024", "年"} <= set(tokens)


def test_queries_use_bigrams_so_dibao_is_inside_the_title_tokens():
    assert query_tokens("低保") == ["低保"]
    assert query_tokens("城乡低保") == ["城乡", "乡低", "低保"]
    assert query_tokens("保") == ["保"]
    assert set(query_tokens("低保")) <= set(document_tokens("城乡低保对象统计"))
    assert query_tokens("!!") == []


def test_tsquery_quotes_every_lexeme():
    assert tsquery_text(["低保", "o'neil"]) == "'低保' & 'o''neil'"


@pytest.mark.parametrize("text, tree", [
    ("", Term(None, "", "all")),
    ("*:*", Term(None, "", "all")),
    ("低保", Term(None, "低保")),
    ('organization:"wuding county"', Term("organization", "wuding county", "phrase")),
    ("+res_format:CSV -tags:old", And([Term("res_format", "CSV"), Not(Term("tags", "old"))])),
    ("frequency:(annual OR monthly)", Or([Term("frequency", "annual"), Term("frequency", "monthly")])),
    ("a OR b c", Or([Term(None, "a"), And([Term(None, "b"), Term(None, "c")])])),
    ("NOT state:deleted", Not(Term("state", "deleted"))),
    ("period_start:[2024-01 TO *]", Term("period_start", "2024-01", "range", "*")),
    ("name:bench-*", Term("name", "bench-", "prefix")),
    ("url:*", Term("url", "", "any")),
    ("(a AND b)", And([Term(None, "a"), Term(None, "b")])),
])
def test_parser_understands_the_solr_subset_ckan_sends(text, tree):
    assert parse_query(text) == tree


@pytest.mark.parametrize("text", ["tags:(a OR b", "(a", "a)", "tags:", "x:[1 2]"])
def test_parser_refuses_what_it_cannot_read(text):
    with pytest.raises(QuerySyntaxError):
        parse_query(text)


def test_filters_compile_to_bound_containment_tests_and_never_inline_values():
    where, rank, params = compile_where("低保", ["+organization:wuding", "-tags:\"x'y\""])
    assert "search_vector @@" in where and "filters @>" in where and "NOT" in where
    assert "wuding" not in where and "x'y" not in where
    assert '{"organization": ["wuding"]}' in params.values()
    assert rank.startswith("ts_rank")


def test_filter_queries_do_not_change_the_rank():
    _, rank, _ = compile_where("*:*", ["低保"])
    assert rank == "0.0"


def test_sort_maps_known_fields_and_refuses_injection():
    assert order_by("score desc, metadata_modified desc").startswith("score DESC")
    assert "lower(title_string) ASC" in order_by("title_string asc")
    with pytest.raises(ValueError):
        order_by("name; DROP TABLE package")
    with pytest.raises(ValueError):
        order_by("name sideways")
