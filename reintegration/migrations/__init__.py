"""Alembic migrations (versions/), their environment (env.py) and the checks they share."""
