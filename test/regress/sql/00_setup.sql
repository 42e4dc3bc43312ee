-- The extension, the roles the other files act as, and one helper that shows an error.

CREATE EXTENSION presence;
SELECT extname, extversion, extnamespace::regnamespace AS schema
    FROM pg_extension WHERE extname = 'presence';

-- The extension's roles exist after CREATE EXTENSION, and none of them can log in.
SELECT rolname, rolcanlogin, rolsuper, rolbypassrls
    FROM pg_roles WHERE rolname LIKE 'presence\_%' ORDER BY rolname;

-- One LOGIN-less test role per role of the contract, and one that was granted nothing.
CREATE ROLE regress_admin NOLOGIN IN ROLE presence_admin;
CREATE ROLE regress_writer NOLOGIN IN ROLE presence_writer;
CREATE ROLE regress_reader NOLOGIN IN ROLE presence_reader;
CREATE ROLE regress_nobody NOLOGIN;

-- regress.error_of(sql) runs one statement and returns the error it raised: SQLSTATE,
-- message, detail and hint. A statement that raises nothing gives 00000 and 'no error', so a
-- check that expects an error can never pass because the call quietly succeeded.
CREATE SCHEMA regress;
GRANT USAGE ON SCHEMA regress TO PUBLIC;

CREATE FUNCTION regress.error_of(sql text, OUT sqlstate text, OUT message text,
                                 OUT detail text, OUT hint text)
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    sqlstate := '00000';
    message := 'no error';
EXCEPTION WHEN OTHERS THEN
    -- Inside the handler, a bare sqlstate is PL/pgSQL's own read-only variable.
    error_of.sqlstate := SQLSTATE;
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                            hint = PG_EXCEPTION_HINT;
    detail := NULLIF(detail, '');
    hint := NULLIF(hint, '');
END
$$;

SELECT * FROM regress.error_of('SELECT 1');
SELECT * FROM regress.error_of('SELECT 1 / 0');
