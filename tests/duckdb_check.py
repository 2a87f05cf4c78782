"""Opens a cpt output folder with DuckDB and checks it against the counts cpt printed.

usage: duckdb_check.py OUT FILES UNITS CLONE_GROUPS
"""
import json
import pathlib
import sys

import duckdb

out = pathlib.Path(sys.argv[1])
files, units, groups = (int(x) for x in sys.argv[2:5])
manifest = json.loads((out / "_manifest.json").read_text())


def parts(table):
    """The manifest-aware way to read a table: exactly the part files the manifest lists."""
    return [str(out / p["file"]) for p in manifest["tables"].get(table, [])]


con = duckdb.connect()
for table in ("files", "units", "clone_groups", "errors"):
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({parts(table)!r})")


def one(sql):
    return con.execute(sql).fetchone()[0]


assert one("SELECT sum(diff) FROM files") == files, "files"
assert one("SELECT sum(diff) FROM units") == units, "units"
assert one("SELECT count(DISTINCT group_id) FROM clone_groups") == groups, "clone groups"
# Every clone-group member is a unit at the same path whose structural hash is the group id.
orphans = one("""
    SELECT count(*) FROM clone_groups g
    LEFT JOIN units u ON u.unit_key = g.unit_key AND u.path = g.path AND u.struct_hash = g.group_id
    WHERE u.unit_key IS NULL""")
assert orphans == 0, f"{orphans} clone members without their unit"
# Groups have two or more members, and the same glob-based read gives the same totals.
assert one("SELECT min(n) FROM (SELECT count(*) n FROM clone_groups GROUP BY group_id)") >= 2
assert one(f"SELECT sum(diff) FROM read_parquet('{out}/units/*.parquet')") == units
types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE units)").fetchall())
assert types["unit_key"] == "BIGINT" and types["vector"].startswith("TINYINT["), types
print(f"duckdb agrees: {files} files, {units} units, {groups} clone groups")
