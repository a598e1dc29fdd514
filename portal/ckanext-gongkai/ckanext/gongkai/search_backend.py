"""CKAN's package search index and query, served from PostgreSQL instead of Solr.

``PostgresPackageIndex`` and ``PostgresPackageQuery`` implement the interface of
``ckan.lib.search.PackageSearchIndex`` and ``PackageSearchQuery``. The index
reuses CKAN's own flattening of the dataset dict (so facets such as
``organization``, ``res_format`` and ``capacity`` mean what they mean with Solr)
and stores it in the ``gongkai_package_search`` table of the catalog database.
CKAN's ``package_search`` action stays in charge of permission labels,
include_private/include_drafts and the facet output format.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

import ckan.model as model
from ckan.common import config
from ckan.lib.search.common import SearchError, SearchIndexError, SearchQueryError
from ckan.lib.search.index import PackageSearchIndex
from ckan.lib.search.query import PackageSearchQuery, VALID_SOLR_PARAMETERS

from .querysql import compile_where, is_long_text, order_by
from .textsearch import QuerySyntaxError, document_tokens

log = logging.getLogger(__name__)

TABLE = "gongkai_package_search"

# state and capacity are in every CKAN query: as real columns the planner knows
# their selectivity (it cannot estimate jsonb containment, and would otherwise
# recheck every capacity:public row instead of using the text index).
# `filters` holds short keyword fields only, read for every matched row by
# facet counts; long texts go to `texts`; `doc` and the dataset dicts are read
# for one page of results only.
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id text PRIMARY KEY,
    name text NOT NULL,
    state text,
    capacity text,
    dataset_type text,
    title_string text,
    metadata_created timestamptz,
    metadata_modified timestamptz,
    doc jsonb NOT NULL,
    filters jsonb NOT NULL,
    texts jsonb NOT NULL DEFAULT '{{}}',
    permission_labels text[] NOT NULL DEFAULT '{{}}',
    search_vector tsvector NOT NULL,
    data_dict text NOT NULL,
    validated_data_dict text,
    indexed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS {TABLE}_name ON {TABLE} (name);
CREATE INDEX IF NOT EXISTS {TABLE}_state ON {TABLE} (state, capacity, dataset_type);
CREATE INDEX IF NOT EXISTS {TABLE}_filters ON {TABLE} USING gin (filters jsonb_path_ops);
CREATE INDEX IF NOT EXISTS {TABLE}_texts ON {TABLE} USING gin (texts jsonb_path_ops);
CREATE INDEX IF NOT EXISTS {TABLE}_labels ON {TABLE} USING gin (permission_labels);
CREATE INDEX IF NOT EXISTS {TABLE}_vector ON {TABLE} USING gin (search_vector);
CREATE INDEX IF NOT EXISTS {TABLE}_modified ON {TABLE} (metadata_modified);
"""

# Which indexed fields feed free-text search, by tsvector weight (A ranks highest).
WEIGHTED_TEXT_FIELDS = {
    "A": ("title", "title_en", "name"),
    "B": ("tags", "organization_title", "groups", "department"),
    "C": ("notes", "notes_en", "res_name", "res_name_en", "res_description"),
    "D": ("disclosure", "frequency", "period_start", "period_end", "version",
          "reviewed_by", "review_checks", "res_format", "organization", "license_id"),
}
# Large or internal values kept out of the filterable doc.
NOT_FILTERABLE = {"data_dict", "validated_data_dict"}


def ensure_table() -> None:
    """Create the search table once; an advisory lock keeps parallel workers apart."""
    with model.meta.engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": TABLE})
        conn.execute(sa.text(DDL))


def _as_strings(value: Any) -> list[str]:
    values = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in values:
        if item is None or item == "" or isinstance(item, dict):
            continue
        out.append(str(item).lower() if isinstance(item, bool) else str(item))
    return out


def filters_from(doc: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Every field as an array of strings for containment tests: (keyword fields, long texts)."""
    filters, texts = {}, {}
    for key, value in doc.items():
        if key in NOT_FILTERABLE:
            continue
        strings = _as_strings(value)
        if strings:
            (texts if is_long_text(key) else filters)[key] = strings
    return filters, texts


def _weighted_tokens(doc: dict[str, Any]) -> dict[str, list[str]]:
    weighted = {}
    for weight, fields in WEIGHTED_TEXT_FIELDS.items():
        tokens: list[str] = []
        for field in fields:
            for text in _as_strings(doc.get(field)):
                tokens.extend(document_tokens(text))
        weighted[weight] = sorted(set(tokens))
    return weighted


class PostgresIndexWriter:
    """Stands in for the pysolr connection inside CKAN's own index_package.

    CKAN's PackageSearchIndex.index_package flattens the dataset dict (extras,
    tags, groups, res_format, capacity, permission labels, plugin hooks) and
    then sends it with ``make_connection().add(docs=[...])``. Installing this
    writer as that connection keeps CKAN's flattening byte for byte and only
    changes where the document goes.
    """

    def add(self, docs: list[dict[str, Any]], commit: bool = False) -> None:
        for doc in docs:
            PostgresPackageIndex.write(doc)

    def commit(self, **kwargs: Any) -> None:
        """Every write is already committed."""


class PostgresPackageIndex(PackageSearchIndex):
    """CKAN's package index with storage in the gongkai_package_search table."""

    @staticmethod
    def write(doc: dict[str, Any]) -> None:
        weighted = _weighted_tokens(doc)
        filters, texts = filters_from(doc)
        vector = " || ".join(
            f"setweight(array_to_tsvector(CAST(:tokens_{w} AS text[])), '{w}')" for w in weighted)
        row = {
            "id": doc["id"],
            "name": doc["name"],
            "state": doc.get("state"),
            "capacity": doc.get("capacity"),
            "dataset_type": doc.get("dataset_type"),
            "title_string": doc.get("title_string") or doc.get("title") or doc["name"],
            "created": doc.get("metadata_created"),
            "modified": doc.get("metadata_modified"),
            "doc": json.dumps({k: v for k, v in doc.items() if k not in NOT_FILTERABLE}),
            "filters": json.dumps(filters),
            "texts": json.dumps(texts),
            "labels": list(doc.get("permission_labels") or []),
            "data_dict": doc["data_dict"],
            "validated": doc.get("validated_data_dict"),
            **{f"tokens_{w}": tokens for w, tokens in weighted.items()},
        }
        sql = f"""
            INSERT INTO {TABLE} (id, name, state, capacity, dataset_type, title_string,
                metadata_created, metadata_modified, doc, filters, texts, permission_labels,
                search_vector, data_dict, validated_data_dict)
            VALUES (:id, :name, :state, :capacity, :dataset_type, :title_string, CAST(:created AS timestamptz),
                CAST(:modified AS timestamptz), CAST(:doc AS jsonb), CAST(:filters AS jsonb), CAST(:texts AS jsonb),
                CAST(:labels AS text[]), {vector}, :data_dict, :validated)
            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, state = EXCLUDED.state,
                capacity = EXCLUDED.capacity, dataset_type = EXCLUDED.dataset_type,
                title_string = EXCLUDED.title_string,
                metadata_created = EXCLUDED.metadata_created,
                metadata_modified = EXCLUDED.metadata_modified, doc = EXCLUDED.doc,
                filters = EXCLUDED.filters, texts = EXCLUDED.texts, permission_labels = EXCLUDED.permission_labels,
                search_vector = EXCLUDED.search_vector, data_dict = EXCLUDED.data_dict,
                validated_data_dict = EXCLUDED.validated_data_dict, indexed_at = now()
        """
        PostgresPackageIndex._execute(sql, row)

    @staticmethod
    def _execute(sql: str, params: dict[str, Any]) -> None:
        # A connection of its own, committed at once: the DataStore calls the
        # index outside any transaction CKAN later commits, like Solr would be.
        try:
            with model.meta.engine.begin() as conn:
                conn.execute(sa.text(sql), params)
        except sa.exc.SQLAlchemyError as error:
            raise SearchIndexError(f"PostgreSQL search index write failed: {error}") from error

    def delete_package(self, pkg_dict: dict[str, Any]) -> None:
        reference = pkg_dict.get("id")
        self._execute(f"DELETE FROM {TABLE} WHERE id = :ref OR name = :ref", {"ref": reference})

    def clear(self) -> None:
        self._execute(f"DELETE FROM {TABLE}", {})

    def commit(self) -> None:
        """Every write is already committed."""


class PostgresPackageQuery(PackageSearchQuery):
    """Answers CKAN's Solr-style package queries from gongkai_package_search."""

    facets: dict[str, Any]

    def __init__(self) -> None:
        super().__init__()
        self.facets = {}

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        rows = _fetch(f"SELECT id FROM {TABLE} WHERE state = 'active' ORDER BY id LIMIT :n",
                      {"n": max_results})
        return [r[0] for r in rows]

    def get_index(self, reference: str) -> dict[str, Any]:
        rows = _fetch(f"SELECT doc, data_dict, validated_data_dict FROM {TABLE} "
                      "WHERE id = :ref OR name = :ref LIMIT 1", {"ref": reference})
        if not rows:
            raise SearchError(f"Dataset not found in the search index: {reference}")
        doc, data_dict, validated = rows[0]
        result = dict(doc, data_dict=data_dict)
        if validated:
            result["validated_data_dict"] = validated
        return result

    def run(self, query: dict[str, Any], permission_labels: Optional[list[str]] = None,
            **kwargs: Any) -> dict[str, Any]:
        unknown = set(query.keys()) - VALID_SOLR_PARAMETERS
        if unknown:
            raise SearchQueryError(f"Invalid search parameters: {sorted(unknown)}")
        try:
            where, rank, params = compile_where(query.get("q") or "", _filter_queries(query))
            ordering = order_by(query.get("sort"))
        except (QuerySyntaxError, ValueError) as error:
            raise SearchQueryError(str(error)) from error
        if permission_labels is not None:
            where += " AND permission_labels && CAST(:labels AS text[])"
            params["labels"] = list(permission_labels)
        rows, start = int(query.get("rows", 10)), int(query.get("start", 0) or 0)
        facet_fields = _facet_fields(query)
        total, page, facet_rows = self._search(where, rank, ordering, params, rows, start,
                                               facet_fields, query)
        self.count = total
        self.results = self._page_results(page, query.get("fl"))
        self.facets = self._facets(facet_fields, facet_rows, query)
        return {"results": self.results, "count": self.count}

    @staticmethod
    def _search(where: str, rank: str, ordering: str, params: dict[str, Any], rows: int,
                start: int, facet_fields: list[str], query: dict[str, Any]) -> tuple[int, list, list]:
        """Count, one page of (id, score) and facet counts in one statement and one scan.

        The matched rows are narrow (no JSON payload), so ranking, sorting and
        counting facets never read the large dataset dicts.
        """
        mincount = max(int(query.get("facet.mincount", 1) or 0), 1)
        sql = f"""
            WITH matched AS MATERIALIZED (
                SELECT id, {rank} AS score, name, title_string, metadata_modified,
                       metadata_created, filters, texts
                FROM {TABLE} WHERE {where}),
            page AS (
                SELECT id, score, row_number() OVER (ORDER BY {ordering}) AS n
                FROM matched ORDER BY n LIMIT :rows OFFSET :start),
            facet AS (
                SELECT f, v, count(*) AS c
                FROM matched, unnest(CAST(:facet_fields AS text[])) f,
                     jsonb_array_elements_text(COALESCE(matched.filters -> f, matched.texts -> f)) v
                GROUP BY f, v HAVING count(*) >= :mincount)
            SELECT (SELECT count(*) FROM matched),
                   (SELECT COALESCE(json_agg(json_build_array(id, score) ORDER BY n), '[]') FROM page),
                   (SELECT COALESCE(json_agg(json_build_array(f, v, c) ORDER BY f, c DESC, v), '[]')
                    FROM facet)
        """
        return _fetch(sql, dict(params, rows=max(rows, 0), start=start,
                                facet_fields=facet_fields, mincount=mincount))[0]

    @staticmethod
    def _page_results(page: list, fl: Any) -> list[Any]:
        if not page:
            return []
        payload = {row[0]: tuple(row[1:]) for row in _fetch(
            f"SELECT id, doc, data_dict, validated_data_dict FROM {TABLE} "
            f"WHERE id = ANY(CAST(:ids AS text[]))", {"ids": [row_id for row_id, _ in page]})}
        fields = _field_list(fl)
        results = [_select_fields(*payload[row_id], score, fields)
                   for row_id, score in page if row_id in payload]
        if fields in (["id"], ["name"]):   # like Solr: a bare list for fl=id / fl=name
            return [r.get(fields[0]) for r in results]
        return results

    @staticmethod
    def _facets(facet_fields: list[str], facet_rows: list, query: dict[str, Any]) -> dict[str, Any]:
        limit = int(query.get("facet.limit", config.get("search.facets.limit")) or 50)
        facets: dict[str, dict[str, int]] = {field: {} for field in facet_fields}
        for field, value, count in facet_rows:   # already ordered by count within a field
            if limit < 0 or len(facets[field]) < limit:
                facets[field][value] = count
        return facets


def _facet_fields(query: dict[str, Any]) -> list[str]:
    fields = query.get("facet.field") or []
    if isinstance(fields, str):
        fields = json.loads(fields) if fields.startswith("[") else [fields]
    if str(query.get("facet", "true")).lower() == "false":
        return []
    return list(fields)


def _filter_queries(query: dict[str, Any]) -> list[str]:
    fq = query.get("fq") or []
    fq_list = [fq] if isinstance(fq, str) else list(fq)
    extra = query.get("fq_list") or []
    fq_list.extend([extra] if isinstance(extra, str) else extra)
    return fq_list


def _field_list(fl: Any) -> list[str]:
    if not fl:
        return ["name"]
    if isinstance(fl, (list, tuple)):
        return [f for item in fl for f in str(item).replace(",", " ").split()]
    return str(fl).replace(",", " ").split()


def _select_fields(doc: dict[str, Any], data_dict: str, validated: Optional[str],
                   score: float, fields: list[str]) -> dict[str, Any]:
    full = dict(doc, data_dict=data_dict, score=score)
    if validated:
        full["validated_data_dict"] = validated
    if "*" in fields:
        return full
    return {f: full[f] for f in fields if f in full}


def _fetch(sql: str, params: dict[str, Any]) -> list[Any]:
    try:
        return model.Session.execute(sa.text(sql), params).fetchall()
    except sa.exc.DataError as error:
        model.Session.rollback()
        raise SearchQueryError(f"invalid search query: {error.orig}") from error
    except sa.exc.SQLAlchemyError as error:
        model.Session.rollback()
        raise SearchError(f"PostgreSQL search failed: {error}") from error


def install() -> None:
    """Point every place CKAN reaches for Solr at the PostgreSQL classes.

    CKAN has no plugin interface for a search backend, so this rebinds the
    module attributes it looks up at call time:
    - index_for()/query_for() read the _INDICES/_QUERIES registries;
    - the DataStore instantiates search.PackageSearchIndex() directly;
    - model_dictize instantiates search.PackageSearchQuery() directly
      (organization and group dataset counts, tag pages);
    - PackageSearchIndex.index_package sends its document through
      ckan.lib.search.index.make_connection(), replaced by our writer;
    - package_show's cached path goes through search.show() -> get_index().
    It runs from IConfigurer.update_config, before CKAN's startup Solr check.
    """
    import ckan.lib.search as search
    import ckan.lib.search.index as search_index

    search._INDICES["package"] = PostgresPackageIndex
    search._QUERIES["package"] = PostgresPackageQuery
    search.PackageSearchIndex = PostgresPackageIndex
    search.PackageSearchQuery = PostgresPackageQuery
    search_index.make_connection = lambda *args, **kwargs: PostgresIndexWriter()
    # The startup Solr schema check would only log a connection traceback.
    search.check_solr_schema_version = _no_solr_schema_to_check


def _no_solr_schema_to_check(schema_file: Optional[str] = None) -> bool:
    log.info("dataset search is served from PostgreSQL (gongkai_search); Solr is not used")
    return False
