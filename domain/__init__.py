"""The pure domain: everything with no Dagster, SQLAlchemy, psycopg or httpx import."""
