"""The database stage: the knowledge base as a normalised SQLite database, and
Datasette's metadata describing it; for a build, those and the JSON export as parts
(`parts`).

`write_database` writes the tables, views and full-text index (`tables.py`, the
evidence per citation in `evidence.py`); `write_datasette_metadata` describes
every table and column of the written database (`metadata.py`); `export.py` writes
the JSON export a topic at a time; `stage.py` offers them to the build.
"""

from evidencekb.database.metadata import write_datasette_metadata
from evidencekb.database.stage import parts
from evidencekb.database.tables import write_database

__all__ = ["parts", "write_database", "write_datasette_metadata"]
