"""Every SQL statement the project runs at runtime, grouped by concern.

Migrations live in ``sql/``; these modules hold the queries, so a schema change
touches one place.
"""
