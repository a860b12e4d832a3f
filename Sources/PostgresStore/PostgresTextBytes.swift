extension PostgresSchema {
    /// `pg13-text-as-bytes`: every text column of the store compares byte by byte (collation "C"),
    /// as SQLite's do, whatever locale the force's database was created with.
    ///
    /// Why: under a language's collation (en_GB.UTF-8, and even C.UTF-8) each comparison of two ids
    /// goes through the locale's string collation, and PostgreSQL does not use its abbreviated sort
    /// keys for one: an index on a million incidents' ids built in 0.30 s with the database's
    /// C.UTF-8, 0.35 s with ICU's en-GB, 0.21 s as bytes, and so for every unique id kept up by an
    /// ingest and every index a first load builds. Ids are compared for identity, never for a
    /// language's order, and the outputs already order by bytes (`COLLATE "C"` in each ORDER BY), so
    /// nothing a person reads changes. `lower()` of a name then folds ASCII letters only, as SQLite's
    /// NOCASE does (account names were already compared so on SQLite).
    ///
    /// Changing a column's collation keeps its rows where they are and builds the table's indexes
    /// on it again; a view that reads such a column, and a trigger that names one (`UPDATE OF`,
    /// `WHEN`), must be made again around the change: the view with the owner and grants it had. Tables made by later migrations declare `COLLATE "C"` themselves (a
    /// test checks every text column).
    static let textAsBytes = Migration(id: "pg13-text-as-bytes", statements: [
        """
        DO $$
        DECLARE
            -- (regrole's text is an identifier quoted as it needs.)
            v record;
            t record;
            g record;
        BEGIN
            CREATE TEMPORARY TABLE encompass_views ON COMMIT DROP AS
                SELECT c.oid, c.relname::text AS name, pg_get_viewdef(c.oid) AS definition, c.relowner, c.relacl
                FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'v';
            FOR v IN SELECT * FROM encompass_views ORDER BY oid DESC LOOP
                EXECUTE format('DROP VIEW %I', v.name);
            END LOOP;
            CREATE TEMPORARY TABLE encompass_triggers ON COMMIT DROP AS
                SELECT tr.tgname::text AS name, tr.tgrelid::regclass AS relation, pg_get_triggerdef(tr.oid) AS definition, tr.tgenabled
                FROM pg_trigger tr JOIN pg_class c ON c.oid = tr.tgrelid
                WHERE c.relnamespace = current_schema()::regnamespace AND NOT tr.tgisinternal
                  AND (tr.tgattr <> ''::int2vector OR tr.tgqual IS NOT NULL);
            FOR v IN SELECT * FROM encompass_triggers LOOP
                EXECUTE format('DROP TRIGGER %I ON %s', v.name, v.relation);
            END LOOP;
            FOR t IN
                SELECT c.relname::text AS name,
                       string_agg(format('ALTER COLUMN %I TYPE text COLLATE "C"', a.attname), ', ' ORDER BY a.attnum) AS changes
                FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
                  AND a.attnum > 0 AND NOT a.attisdropped
                  AND a.atttypid = 'text'::regtype AND a.attcollation <> 'pg_catalog."C"'::regcollation
                GROUP BY c.relname ORDER BY c.relname
            LOOP
                EXECUTE format('ALTER TABLE %I %s', t.name, t.changes);
            END LOOP;
            FOR v IN SELECT * FROM encompass_triggers LOOP
                EXECUTE v.definition;
                IF v.tgenabled = 'D' THEN
                    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', v.relation, v.name);
                END IF;
            END LOOP;
            FOR v IN SELECT * FROM encompass_views ORDER BY oid LOOP
                EXECUTE format('CREATE VIEW %I AS %s', v.name, v.definition);
                EXECUTE format('ALTER VIEW %I OWNER TO %s', v.name, v.relowner::regrole);
                FOR g IN
                    SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS who
                    FROM aclexplode(v.relacl) a WHERE a.grantee <> v.relowner
                LOOP
                    EXECUTE format('GRANT %s ON %I TO %s', g.privilege_type, v.name, g.who);
                END LOOP;
            END LOOP;
        END $$
        """,
    ])
}
