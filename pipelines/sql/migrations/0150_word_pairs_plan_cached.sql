-- word_pairs (0034) runs for every stored or changed article: the index
-- articles_search_pairs is built on it.  As a LANGUAGE sql function that cannot
-- be inlined (it aggregates), its query was planned again for every row written,
-- ~0.25 ms of server CPU an article.  PL/pgSQL keeps the plan for the session.
-- The query is the same, so every vector gives the same pairs and the index
-- built on the old definition stays valid (no REINDEX).
CREATE OR REPLACE FUNCTION wirewatch_feed.word_pairs(v tsvector) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN (
        SELECT array_to_tsvector(coalesce(array_agg(DISTINCT first.lexeme || ' ' || next.lexeme),
                                          '{}'::text[]))
        FROM (SELECT lexeme, unnest(positions) AS pos FROM unnest(v)) AS first
        JOIN (SELECT lexeme, unnest(positions) AS pos FROM unnest(v)) AS next
          ON next.pos = first.pos + 1
        WHERE octet_length(first.lexeme) + octet_length(next.lexeme) < 2000
    );
END
$$;
