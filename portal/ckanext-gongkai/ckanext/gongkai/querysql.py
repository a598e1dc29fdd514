"""Turn a parsed Solr-style query into SQL over the gongkai_package_search table.

No CKAN imports: the output is plain SQL text with SQLAlchemy ``:name`` binds.
Every indexed field lives in the ``filters`` jsonb column (``texts`` for long
free text) as an array of strings (``{"tags": ["低保", "救助"], "organization":
["wuding"]}``), so an exact match is one GIN-indexed containment test whether
the field is multi-valued or not; free text goes to the ``search_vector``
tsvector.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from .textsearch import And, Node, Not, Or, Term, parse_query, query_tokens, tsquery_text

# Fields Solr tokenizes: a field:value on them matches a substring, not the whole value.
TEXT_FIELDS = {"title", "notes", "title_en", "notes_en", "res_name", "res_description",
               "res_name_en", "organization_title", "review_checks"}
# CKAN's autocomplete asks for name_ngram:x / title_ngram:x.
NGRAM_SUFFIX = "_ngram"
# Long free-text fields live in the `texts` column so that `filters`, read for
# every matched row by facet counts, stays small enough to be stored inline.
LONG_TEXT_FIELDS = {"title", "title_en", "title_string", "notes", "notes_en", "organization_title",
                    "res_name", "res_name_en", "res_description", "res_url", "url",
                    "review_checks", "text", "index_id", "license_url"}
# Fields CKAN puts in every query, stored as real columns for the query planner.
COLUMN_FIELDS = {"state", "capacity", "dataset_type"}
# Sort keys with a real column; any other field sorts on its first indexed value.
SORT_COLUMNS = {
    "score": "score",
    "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created",
    "title_string": "lower(title_string)",
    "name": "name",
}
_FIELD_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class QueryCompiler:
    """Accumulates bind parameters and the tsqueries used for ranking."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}
        self.rank_queries: list[str] = []

    def bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def compile(self, node: Node, negated: bool = False) -> str:
        if isinstance(node, And):
            return "(" + " AND ".join(self.compile(c, negated) for c in node.children) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.compile(c, negated) for c in node.children) + ")"
        if isinstance(node, Not):
            return "(NOT " + self.compile(node.child, not negated) + ")"
        return self.term(node, negated)

    def term(self, term: Term, negated: bool) -> str:
        if term.kind == "all":
            return "TRUE"
        field = term.field
        if field in (None, "text"):
            return self.free_text(term.value, negated)
        if not _FIELD_NAME_RE.match(field):
            raise ValueError(f"invalid field name {field!r}")
        column = column_for(field)
        if field.endswith(NGRAM_SUFFIX):
            return self.element_matches(field[: -len(NGRAM_SUFFIX)], "ILIKE", f"%{_like_escape(term.value)}%")
        if term.kind == "any":
            return f"jsonb_exists({column}, {self.bind(field)})"
        if term.kind == "prefix":
            return self.element_matches(field, "LIKE", _like_escape(term.value) + "%")
        if term.kind == "range":
            return self.range(field, term.value, term.upper)
        if field in COLUMN_FIELDS and term.kind in ("word", "phrase"):
            return f"{field} = {self.bind(term.value)}"
        if field in TEXT_FIELDS:
            return self.element_matches(field, "ILIKE", f"%{_like_escape(term.value)}%")
        return f"{column} @> CAST({self.bind(json.dumps({field: [term.value]}))} AS jsonb)"

    def free_text(self, text: str, negated: bool) -> str:
        tokens = query_tokens(text)
        if not tokens:
            return "TRUE"
        tsquery = tsquery_text(tokens)
        if not negated:
            self.rank_queries.append(tsquery)
        return f"search_vector @@ CAST({self.bind(tsquery)} AS tsquery)"

    def element_matches(self, field: str, operator: str, pattern: str) -> str:
        return (f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({column_for(field)} -> {self.bind(field)}) v"
                f" WHERE v {operator} {self.bind(pattern)})")

    def range(self, field: str, lower: str, upper: str | None) -> str:
        conditions = []
        if lower not in ("*", ""):
            conditions.append(f"v >= {self.bind(_solr_now(lower))}")
        if upper not in ("*", "", None):
            conditions.append(f"v <= {self.bind(_solr_now(upper))}")
        where = " AND ".join(conditions) or "TRUE"
        return (f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({column_for(field)} -> {self.bind(field)}) v"
                f" WHERE {where})")

    def rank_expression(self) -> str:
        if not self.rank_queries:
            return "0.0"
        combined = " && ".join(f"CAST({self.bind(q)} AS tsquery)" for q in self.rank_queries)
        return f"ts_rank(search_vector, {combined})"


def is_long_text(field: str) -> bool:
    # CKAN also indexes every extra as extras_<name>.
    return field.removesuffix(NGRAM_SUFFIX).removeprefix("extras_") in LONG_TEXT_FIELDS


def column_for(field: str) -> str:
    return "texts" if is_long_text(field) else "filters"


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _solr_now(value: str) -> str:
    """Solr date math is reduced to NOW (ISO strings compare in time order)."""
    if value.upper().startswith("NOW"):
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def compile_where(q: str, fq_list: list[str]) -> tuple[str, str, dict[str, object]]:
    """SQL WHERE clause and rank expression for a q and its filter queries."""
    compiler = QueryCompiler()
    clauses = [compiler.compile(parse_query(q))]
    for fq in fq_list:
        if fq and fq.strip():
            # Filter queries never contribute to relevance, like Solr's fq.
            saved = list(compiler.rank_queries)
            clauses.append(compiler.compile(parse_query(fq)))
            compiler.rank_queries = saved
    rank = compiler.rank_expression()
    return " AND ".join(clauses), rank, compiler.params


def order_by(sort: str | None) -> str:
    """ORDER BY for a Solr sort string such as 'score desc, metadata_modified desc'."""
    parts = []
    for clause in (sort or "score desc, metadata_modified desc").split(","):
        words = clause.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ValueError(f"invalid sort clause {clause.strip()!r}")
        field, direction = words[0], (words[1] if len(words) == 2 else "asc").upper()
        if not _FIELD_NAME_RE.match(field):
            raise ValueError(f"invalid sort field {field!r}")
        column = SORT_COLUMNS.get(field)
        if column is None:
            column = f"({column_for(field)} -> '{field}' ->> 0)"
        parts.append(f"{column} {direction} NULLS LAST")
    parts.append("id ASC")
    return ", ".join(parts)
