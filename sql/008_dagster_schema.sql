-- The production Dagster instance (deploy/dagster.yaml) keeps its run, event-log and schedule
-- storage in the tracker's database, in a schema of its own, so Dagster's ~30 tables never mix
-- with the tracker's. dagster-postgres creates its tables but not the schema: create it here
-- when this role may (it owns the database or holds CREATE on it); otherwise a database owner
-- runs `CREATE SCHEMA dagster AUTHORIZATION <role>` once, as the README says.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'dagster') THEN
        IF has_database_privilege(current_database(), 'CREATE') THEN
            CREATE SCHEMA dagster;
        ELSE
            RAISE NOTICE 'schema dagster not created: role % lacks CREATE on database %',
                current_user, current_database();
        END IF;
    END IF;
END
$$;
