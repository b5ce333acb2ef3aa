"""Asset checks: what a person should look at after a sync."""
