"""Lineage stages of the Audible sync, and the pure domain modules they call."""
