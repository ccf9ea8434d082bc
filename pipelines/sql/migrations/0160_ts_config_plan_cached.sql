-- ts_config (0030) is called twice for every article written: the generated
-- column search_vector is built with it.  As a LANGUAGE sql function it is
-- inlined, and the statement writing the row plans the inlined CASE again each
-- time: its thirty 'pg_catalog.<name>'::regconfig constants are looked up by
-- name twice per statement, ~0.15 ms of server CPU an article.  PL/pgSQL keeps
-- the plan for the session, as word_pairs does since 0150.  The CASE is the one
-- 0030 built from the configurations this server has, taken from the current
-- definition, so every language gets the same configuration and the stored
-- vectors and the indexes built on them stay valid.
DO $build$
DECLARE
    chosen text;
BEGIN
    SELECT regexp_replace(prosrc, '^\s*SELECT\s+|\s+$', '', 'g') INTO STRICT chosen
    FROM pg_proc
    WHERE oid = 'wirewatch_feed.ts_config(text)'::regprocedure;
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION wirewatch_feed.ts_config(language text) RETURNS regconfig
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $body$
        BEGIN
            RETURN %s;
        END
        $body$ $f$, chosen);
END
$build$;
