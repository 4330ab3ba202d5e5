"""The database stage: the knowledge base as a normalised SQLite database, and
Datasette's metadata describing it.

`write_database` writes the tables, views and full-text index (`tables.py`, the
evidence per citation in `evidence.py`); `write_datasette_metadata` describes
every table and column of the written database (`metadata.py`).
"""

from evidencekb.database.metadata import write_datasette_metadata
from evidencekb.database.tables import write_database

__all__ = ["write_database", "write_datasette_metadata"]
