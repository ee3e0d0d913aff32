"""Alembic migrations of the feedback store (env.py, versions/).

A package so that an installed copy of Reelmate can find this directory without the repository or an
ini file: `feedback.migrate.alembic_config()` points Alembic's script_location here.
"""
