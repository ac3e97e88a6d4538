"""Class data in a real database through SQLAlchemy 2: SQLite by default, PostgreSQL by
`GRUVIZ_DATABASE_URL`. Knows rows, not GRUs: `classroom.room` gives them meaning."""

from .classes import Answer, ClassInfo, Reveal, Store, StudentInfo, Taken, now
from .engine import StoreUnavailable, default_url

__all__ = ["Answer", "ClassInfo", "Reveal", "Store", "StoreUnavailable", "StudentInfo", "Taken", "default_url",
           "now"]
