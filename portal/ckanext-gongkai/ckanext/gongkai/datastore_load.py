"""gongkai_datastore_load: replace a DataStore table from a CSV upload with COPY, swapped in atomically.

CKAN's datastore_create takes records as JSON and inserts them row by row
through the full-text trigger (about 1,850 rows/s here), and a reload has to
delete the table first, so queries fail until it is back. This action:

1. streams the uploaded CSV into a temporary table with PostgreSQL COPY
   (typed columns: a bad value fails the load with its line and column);
2. creates the new table under a staging name with the DataStore layout of
   ckanext/datastore/backend/postgres.py create_table (`_id serial primary
   key`, `_full_text tsvector`, the columns, field info as column comments,
   the `zfulltext` trigger) and fills it in one INSERT ... SELECT, computing
   `_full_text` as CKAN's populate_full_text_trigger does;
3. builds the primary key (a unique index, as CKAN does) and CKAN's full-text
   indexes after the load, then ANALYZE;
4. swaps: renames the old table away, renames the new one into place, drops
   the old one, and gives the indexes and the `_id` sequence the names
   datastore_create would have given them (views made by datastore_create
   `aliases` are recreated on the new table);
5. sets the resource's `datastore_active` and re-indexes its package, as
   datastore_create does.

All of 1-4 is ONE transaction: readers see the old table until the commit and
the complete new one after it, never a missing or half-loaded table, and a
failure anywhere (bad value, duplicate key, lost connection) leaves the old
table untouched and nothing behind. The only exclusive lock on the old table
is taken by the swap itself, which takes milliseconds.

With `swap=false` the load stops after 3 and commits the new table as the
resource's *prepared* table; `gongkai_datastore_swap` later does 4 and 5. A
publisher loads first, then makes the release's files public, then swaps, so
the files and the table change within one request of each other instead of
one whole load apart. A new prepared table replaces an older one.

Sysadmins only: the auth function refuses everyone, and CKAN lets sysadmins
through without asking it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import time
import uuid
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
import psycopg2
import psycopg2.errors
from ckanext.datastore import helpers as datastore_helpers
from ckanext.datastore.backend.postgres import get_write_engine, identifier, literal_string
from ckanext.datastore.logic.action import set_datastore_active_flag

log = logging.getLogger(__name__)

ACTION = "gongkai_datastore_load"
SWAP_ACTION = "gongkai_datastore_swap"
# Column types a load may declare (PostgreSQL names, as in datastore_create's `fields`).
TYPES = ("text", "int8", "int4", "numeric", "float8", "date", "timestamp", "bool")
BOM = b"\xef\xbb\xbf"
SWAP_LOCK_TIMEOUT = "5s"   # waiting for readers of the old table before the swap
SWAP_ATTEMPTS = 6
COPY_BLOCK = 1 << 20
FTS_INDEX_METHODS = ("gist", "gin")
# Memory for building this load's indexes (GiST builds of tsvector columns are the slowest step).
INDEX_BUILD_MEMORY = "256MB"


def auth(context: dict, data_dict: dict) -> dict:
    """Only sysadmins may replace a DataStore table wholesale (CKAN never asks this for them)."""
    return {"success": False,
            "msg": "只有系统管理员可以整表加载 DataStore / only sysadmins may call gongkai_datastore_load"}


def _invalid(field: str, message: str) -> tk.ValidationError:
    return tk.ValidationError({field: [message]})


def _json_list(data_dict: dict, key: str, default: Any = None) -> Any:
    """Multipart uploads carry every parameter as a string: accept JSON text as well as lists."""
    value = data_dict.get(key, default)
    if isinstance(value, str):
        text = value.strip()
        if key == "primary_key" and text and not text.startswith("["):
            return [part.strip() for part in text.split(",") if part.strip()]
        try:
            value = json.loads(text) if text else default
        except ValueError:
            raise _invalid(key, f"{key} 不是有效的 JSON / {key} is not valid JSON")
    return value


def _parse_fields(data_dict: dict) -> list[dict]:
    fields = _json_list(data_dict, "fields")
    if not isinstance(fields, list) or not fields:
        raise _invalid("fields", "需要字段列表 / fields must be a non-empty list of {id, type, info?}")
    seen: set[str] = set()
    for field in fields:
        if not isinstance(field, dict) or not isinstance(field.get("id"), str):
            raise _invalid("fields", f"每个字段需要 id / every field needs an id: {field!r}")
        field_id = field["id"]
        if (not datastore_helpers.is_valid_field_name(field_id) or field_id.startswith("_")
                or len(field_id) > 63):
            raise _invalid("fields", f'"{field_id}" is not a valid field name')
        if field_id in seen:
            raise _invalid("fields", f'duplicate field "{field_id}"')
        seen.add(field_id)
        if field.get("type") not in TYPES:
            raise _invalid("fields", f'field "{field_id}": type must be one of {", ".join(TYPES)}, '
                                     f'got {field.get("type")!r}')
        if "info" in field and not isinstance(field["info"], dict):
            raise _invalid("fields", f'field "{field_id}": info must be an object')
    return fields


def _parse_primary_key(data_dict: dict, field_ids: list[str]) -> list[str]:
    primary_key = _json_list(data_dict, "primary_key", []) or []
    if isinstance(primary_key, str):
        primary_key = [primary_key]
    if not isinstance(primary_key, list) or not all(isinstance(k, str) for k in primary_key):
        raise _invalid("primary_key", "primary_key must be a list of field ids")
    unknown = [k for k in primary_key if k not in field_ids]
    if unknown:
        raise _invalid("primary_key", f"primary_key names unknown fields: {', '.join(unknown)}")
    return primary_key


def _upload_stream(data_dict: dict):
    upload = data_dict.get("upload")
    stream = getattr(upload, "stream", upload)  # werkzeug FileStorage, or a file object
    if stream is None or not hasattr(stream, "read"):
        raise _invalid("upload", "需要上传 CSV 文件（multipart 字段 upload） / upload the CSV as the "
                                 "multipart file field `upload`")
    return stream


def _read_header(stream, field_ids: list[str]) -> list[str]:
    first = stream.readline()
    if isinstance(first, str):
        first = first.encode("utf-8")
    if first.startswith(BOM):
        first = first[len(BOM):]
    try:
        header = next(csv.reader(io.StringIO(first.decode("utf-8"))), [])
    except UnicodeDecodeError:
        raise _invalid("upload", "CSV 必须是 UTF-8 编码 / the CSV must be UTF-8")
    header = [h.strip() for h in header]
    if sorted(header) != sorted(field_ids):
        missing = [f for f in field_ids if f not in header]
        extra = [h for h in header if h not in field_ids]
        raise _invalid("upload", "CSV 表头与字段不一致 / the CSV header must name exactly the fields"
                                 f" (missing: {missing}, not declared: {extra})")
    return header


def _prepared(resource_id: str) -> str:
    """The name of a resource's table loaded with swap=false, waiting for gongkai_datastore_swap."""
    return f"_gongkai_next_{resource_id}"


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() not in ("false", "0", "no", "")


def _index_name(table: str, expression: str) -> str:
    """The name CKAN gives an index (backend/postgres.py _generate_index_name)."""
    return hashlib.sha1((table + expression).encode("utf-8")).hexdigest()


def _index_expressions(fields: list[dict], primary_key: list[str],
                       method: str) -> list[tuple[str, str, bool]]:
    """(expression, method, unique) of every index datastore_create builds for these fields.

    Mirrors backend/postgres.py create_indexes and _build_fts_indexes: a
    full-text index on `_full_text`, one on to_tsvector(lang, column) for each
    column whose type is in ckan.datastore.default_fts_index_field_types, and
    the primary key as a unique index (CKAN's "primary key" is a unique key).
    """
    lang = tk.config.get("ckan.datastore.default_fts_lang")
    expressions = [(identifier("_full_text"), method, False)]
    for field in fields:
        if not datastore_helpers.should_fts_index_field_type(field["type"]):
            continue
        column = identifier(field["id"])
        if field["type"] != "text":
            column = f"cast({column} AS text)"
        expressions.append((f"to_tsvector({literal_string(lang)}, {column})", method, False))
    if primary_key:
        expressions.append((", ".join(identifier(k) for k in primary_key), "", True))
    return expressions


def _old_comments(cursor, table: str) -> dict[str, dict]:
    """Column comments (field info and plugin data) of the table being replaced, by column."""
    cursor.execute("""
        SELECT a.attname, d.description FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
        JOIN pg_description d ON d.objoid = c.oid AND d.objsubid = a.attnum
        WHERE c.relname = %s AND c.relkind = 'r'""", (table,))
    comments = {}
    for column, text in cursor.fetchall():
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(value, dict):
            comments[column] = value
    return comments


def _column_comment(field: dict, old: dict[str, dict]) -> dict:
    """The new column comment: the old one (plugin data, info) updated with the info sent now.

    A field sent without `info` keeps the info it had, so a data dictionary
    edited on the portal survives a reload.
    """
    comment = dict(old.get(field["id"], {}))
    if isinstance(field.get("info"), dict):
        comment["_info"] = field["info"]
    return comment


def _copy_error(error: psycopg2.Error) -> tk.ValidationError:
    """The COPY error with the line number of the file (COPY counts from the row after the header)."""
    diag = error.diag
    where = (diag.context or "").replace("COPY gongkai_copy, ", "").strip()
    where = re.sub(r"^line (\d+)", lambda m: f"line {int(m.group(1)) + 1}", where)
    return _invalid("upload", f"CSV 数据有误，未作任何更改 / bad value in the CSV, nothing was changed: "
                              f"{diag.message_primary} ({where})")


def load(context: dict, data_dict: dict) -> dict:
    """Replace the DataStore table of a resource with the rows of an uploaded CSV.

    :param resource_id: the resource (it must exist; its table may or may not)
    :param fields: list of {"id", "type", "info"?}; type one of text, int8,
        int4, numeric, float8, date, timestamp, bool; info (label, notes, ...)
        is stored as CKAN stores it; a field without info keeps its old info.
        JSON text is accepted (multipart uploads send strings).
    :param primary_key: list of field ids (or JSON text, or "a,b"): a unique
        key, enforced; duplicates fail the load
    :param upload: the CSV file (multipart), UTF-8 with or without BOM, a
        header row naming exactly the fields (any order), an empty cell is NULL
    :param fts_index_method: optional, gist or gin: the method of the
        full-text indexes; by default ckan.datastore.default_fts_index_method,
        as datastore_create (GIN builds about 10x faster on a bulk load)
    :param swap: optional, default true; false keeps the new table prepared
        (not served) until gongkai_datastore_swap
    :returns: {"resource_id", "rows", "fields", "primary_key", "replaced",
        "swapped", "seconds": {"copy", "fill", "index", "swap", "total"}}
    """
    tk.check_access(ACTION, context, data_dict)
    resource_id = tk.get_or_bust(data_dict, "resource_id")
    resource = model.Resource.get(resource_id)
    if resource is None or resource.state != "active":
        raise tk.ObjectNotFound(f"resource {resource_id} not found")
    resource_id = resource.id
    fields = _parse_fields(data_dict)
    field_ids = [f["id"] for f in fields]
    primary_key = _parse_primary_key(data_dict, field_ids)
    method = data_dict.get("fts_index_method") or tk.config.get("ckan.datastore.default_fts_index_method")
    if method not in FTS_INDEX_METHODS:
        raise _invalid("fts_index_method", f"fts_index_method must be gist or gin, got {method!r}")
    swap = _as_bool(data_dict.get("swap", True))
    stream = _upload_stream(data_dict)
    header = _read_header(stream, field_ids)

    started = time.perf_counter()
    seconds: dict[str, float] = {}
    staging = f"_gongkai_load_{uuid.uuid4().hex}" if swap else _prepared(resource_id)
    types = {f["id"]: f["type"] for f in fields}
    copy_columns = ", ".join(identifier(h) for h in header)
    table_columns = ", ".join(identifier(f) for f in field_ids)

    connection = get_write_engine().raw_connection()
    try:
        cursor = connection.cursor()
        # One transaction for everything; only this load's statements, so no global timeout.
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute("SET LOCAL synchronize_seqscans = off")  # keep the file's row order
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        # One load per resource at a time; a second waits for the first.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{ACTION}:{resource_id}",))
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (identifier(resource_id),))
        exists = cursor.fetchone()[0]
        old = _old_comments(cursor, resource_id) if exists else {}
        if not swap:
            cursor.execute(f"DROP TABLE IF EXISTS {identifier(staging)}")

        # 1. COPY into a typed temporary table (no WAL, dropped at commit).
        cursor.execute("CREATE TEMPORARY TABLE gongkai_copy ({}) ON COMMIT DROP".format(
            ", ".join(f"{identifier(h)} {types[h]}" for h in header)))
        try:
            cursor.copy_expert(
                f"COPY gongkai_copy ({copy_columns}) FROM STDIN WITH "
                f"(FORMAT csv, ENCODING 'UTF8', FORCE_NULL ({copy_columns}))", stream, size=COPY_BLOCK)
        except (psycopg2.DataError, psycopg2.errors.BadCopyFileFormat,
                psycopg2.errors.CharacterNotInRepertoire) as error:
            raise _copy_error(error)
        rows = cursor.rowcount
        seconds["copy"] = time.perf_counter() - started

        # 2. The new table, laid out as datastore_create lays it out.
        cursor.execute("CREATE TABLE {} ({})".format(identifier(staging), ", ".join(
            ['"_id" serial primary key', '"_full_text" tsvector']
            + [f"{identifier(f['id'])} {f['type']}" for f in fields])))
        for field in fields:
            comment = _column_comment(field, old)
            if comment:
                cursor.execute("COMMENT ON COLUMN {}.{} IS {}".format(
                    identifier(staging), identifier(field["id"]),
                    # ' ' prefix: CKAN's marker of the current comment format
                    literal_string(" " + json.dumps(comment, ensure_ascii=False, separators=(",", ":")))))
        # _full_text as populate_full_text_trigger computes it: the non-null values of the
        # row's columns in their JSON text form, joined by spaces, to_tsvector with the
        # database's default configuration. One set-based pass instead of the per-row trigger.
        # array_to_string skips NULLs, as string_agg does; to_json(x) #>> '{}' is the JSON text.
        full_text = "to_tsvector(array_to_string(ARRAY[{}], ' '))".format(", ".join(
            f"{identifier(f)}::text" if types[f] in ("text", "int8", "int4", "numeric", "date")
            else f"to_json({identifier(f)}) #>> '{{}}'" for f in field_ids))
        cursor.execute(f"INSERT INTO {identifier(staging)} (_full_text, {table_columns}) "
                       f"SELECT {full_text}, {table_columns} FROM gongkai_copy")
        cursor.execute("DROP TABLE gongkai_copy")
        cursor.execute(f"CREATE TRIGGER zfulltext BEFORE INSERT OR UPDATE ON {identifier(staging)} "
                       "FOR EACH ROW EXECUTE PROCEDURE populate_full_text_trigger()")
        seconds["fill"] = time.perf_counter() - started - seconds["copy"]

        # 3. Indexes after the load, under staging names (the final names are still taken).
        renames = []
        for expression, using_method, unique in _index_expressions(fields, primary_key, method):
            temporary, final = _index_name(staging, expression), _index_name(resource_id, expression)
            using = f"USING {using_method}({expression})" if using_method else f"({expression})"
            try:
                cursor.execute(f'CREATE {"UNIQUE " if unique else ""}INDEX "{temporary}" '
                               f"ON {identifier(staging)} {using}")
            except psycopg2.errors.UniqueViolation as error:
                raise _invalid("primary_key", "主键重复，未作任何更改 / duplicate primary key "
                                              f"({', '.join(primary_key)}), nothing was changed: "
                                              f"{error.diag.message_detail}")
            renames.append((temporary, final))
        cursor.execute(f"ANALYZE {identifier(staging)}")
        seconds["index"] = time.perf_counter() - started - seconds["copy"] - seconds["fill"]

        # 4. The swap: old away, new in, old dropped; names as datastore_create gives them.
        swap_started = time.perf_counter()
        if swap:
            _swap(cursor, resource_id, staging, exists, renames)
        else:  # the index names the swap will give, kept with the prepared table
            cursor.execute(f"COMMENT ON TABLE {identifier(staging)} IS {literal_string(json.dumps(renames))}")
        connection.commit()
        seconds["swap"] = time.perf_counter() - swap_started
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()

    if swap:
        _mark_active(context, resource)
    seconds["total"] = time.perf_counter() - started
    log.info("%s %s: %d rows in %.2f s (%s)", ACTION, resource_id, rows, seconds["total"],
             ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()))
    return {"resource_id": resource_id, "rows": rows, "fields": [
        {"id": f["id"], "type": f["type"]} for f in fields], "primary_key": primary_key,
        "replaced": exists and swap, "swapped": swap, "seconds": {k: round(v, 3) for k, v in seconds.items()}}


def swap_prepared(context: dict, data_dict: dict) -> dict:
    """Serve the table prepared by gongkai_datastore_load(swap=false) in place of the current one.

    :param resource_id: the resource
    :returns: {"resource_id", "replaced", "seconds"}
    """
    tk.check_access(SWAP_ACTION, context, data_dict)
    resource = model.Resource.get(tk.get_or_bust(data_dict, "resource_id"))
    if resource is None or resource.state != "active":
        raise tk.ObjectNotFound(f"resource {data_dict['resource_id']} not found")
    started = time.perf_counter()
    prepared = _prepared(resource.id)
    connection = get_write_engine().raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{ACTION}:{resource.id}",))
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL, obj_description(to_regclass(%s), 'pg_class')",
                       (identifier(prepared), identifier(prepared)))
        found, renames = cursor.fetchone()
        if not found:
            raise _invalid("resource_id", "没有待换入的数据表，请先加载 / no prepared table: load one first "
                                          "with gongkai_datastore_load(swap=false)")
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (identifier(resource.id),))
        exists = cursor.fetchone()[0]
        cursor.execute(f"COMMENT ON TABLE {identifier(prepared)} IS NULL")
        _swap(cursor, resource.id, prepared, exists, [tuple(pair) for pair in json.loads(renames)])
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()
    _mark_active(context, resource)
    return {"resource_id": resource.id, "replaced": exists,
            "seconds": round(time.perf_counter() - started, 3)}


def _mark_active(context: dict, resource) -> None:
    """5. Tell CKAN, as datastore_create does."""
    if resource.extras.get("datastore_active") is not True:
        set_datastore_active_flag(context, {"resource_id": resource.id}, True)


def _swap(cursor, resource_id: str, staging: str, exists: bool, renames: list[tuple[str, str]]) -> None:
    """Rename the old table away, the new one into place, drop the old one (caller commits).

    The exclusive lock on the old table waits for running queries; it is
    retried after SWAP_LOCK_TIMEOUT so a long query delays the swap instead of
    queueing every new reader behind it for long.
    """
    table, retired = identifier(resource_id), f"_gongkai_old_{uuid.uuid4().hex}"
    aliases: list[str] = []
    if exists:
        for attempt in range(1, SWAP_ATTEMPTS + 1):
            cursor.execute("SAVEPOINT gongkai_swap")
            cursor.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
            try:
                cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                break
            except psycopg2.errors.LockNotAvailable:
                cursor.execute("ROLLBACK TO SAVEPOINT gongkai_swap")
                if attempt == SWAP_ATTEMPTS:
                    raise tk.ValidationError({"resource_id": [
                        "表正被长时间查询占用，未作任何更改 / the table stayed busy with long queries; "
                        "nothing was changed, try again"]})
                log.info("%s %s: waiting for readers (attempt %d)", ACTION, resource_id, attempt)
        cursor.execute("SET LOCAL lock_timeout = 0")
        # Views made by datastore_create's `aliases` depend on the old table: recreate them.
        cursor.execute('SELECT name FROM "_table_metadata" WHERE alias_of = %s', (resource_id,))
        aliases = [row[0] for row in cursor.fetchall()]
        for alias in aliases:
            cursor.execute(f"DROP VIEW {identifier(alias)}")
        cursor.execute(f"ALTER TABLE {table} RENAME TO {identifier(retired)}")
    cursor.execute(f"ALTER TABLE {identifier(staging)} RENAME TO {table}")
    if exists:
        cursor.execute(f"DROP TABLE {identifier(retired)}")
    # serial and primary key names follow the table name in datastore_create's tables
    cursor.execute(f"ALTER SEQUENCE {identifier(staging + '__id_seq')} RENAME TO "
                   f"{identifier(resource_id + '__id_seq')}")
    cursor.execute(f"ALTER INDEX {identifier(staging + '_pkey')} RENAME TO {identifier(resource_id + '_pkey')}")
    for temporary, final in renames:
        cursor.execute(f'ALTER INDEX "{temporary}" RENAME TO "{final}"')
    for alias in aliases:
        cursor.execute(f"CREATE VIEW {identifier(alias)} AS SELECT * FROM {table}")
