-- Search at archive scale (issue 8): two indexes that keep a search fast
-- when the full-text index alone cannot.
--
-- 1. Newest first, a window at a time.  Most searches want the newest
--    matches.  With the GIN index alone PostgreSQL must collect every match
--    and sort them, which for a word in 1% of a million articles means ten
--    thousand heap rows.  pipelines.search first looks in windows of the
--    newest articles (updated_at >= a bound: a bitmap AND of this btree and
--    the GIN index) and widens the window only when it holds too few matches.
--    updated_at, not first_seen: a story's canonical article was written or
--    re-written no earlier than the story was created, so updated_at bounds
--    the stories of a window as well as its articles.
CREATE INDEX articles_updated_at ON articles (updated_at);

-- 2. Phrases of common words.  The GIN index has no positions: for
--    "prime minister" it returns every article with both words, and each
--    must be re-read to check they are adjacent.  Indexing each pair of
--    adjacent lexemes as one token finds the articles with the phrase (or
--    its word pairs) directly; the positional check then runs on those only.
--    Pairs come from search_vector itself, so they agree exactly with what
--    a phrase query (<->) can match there.  A pair too long for a lexeme
--    (2 kB) is left out; a phrase whose pair is left out still matches,
--    through the slower path, because the pair query is only a pre-filter
--    when the query side has it.
CREATE FUNCTION wirewatch_feed.word_pairs(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(coalesce(array_agg(DISTINCT first.lexeme || ' ' || next.lexeme),
                                      '{}'::text[]))
    FROM (SELECT lexeme, unnest(positions) AS pos FROM unnest(v)) AS first
    JOIN (SELECT lexeme, unnest(positions) AS pos FROM unnest(v)) AS next
      ON next.pos = first.pos + 1
    WHERE octet_length(first.lexeme) + octet_length(next.lexeme) < 2000
$$;
COMMENT ON FUNCTION wirewatch_feed.word_pairs(tsvector) IS
    'Adjacent lexeme pairs of a vector as tokens (''prime minist''), for phrase search: '
    'word_pairs(search_vector) @@ pairs_query(''prime minister'') is indexed.';

-- Building it over an existing archive is the slow part of this migration
-- (minutes per million articles); more sort memory, for this transaction only,
-- makes it several times faster.
SET LOCAL maintenance_work_mem = '256MB';
CREATE INDEX articles_search_pairs ON articles
    USING gin (wirewatch_feed.word_pairs(search_vector));

-- The pairs a phrase needs, per configuration (ANDed), the configurations
-- ORed, as phrase_query() normalises them.  NULL when some configuration
-- leaves no pair (a one-word phrase, stop words between all words): then
-- there is nothing to pre-filter with.
CREATE FUNCTION wirewatch_feed.pairs_query(
    phrase text, configs regconfig[] DEFAULT wirewatch_feed.search_configs())
RETURNS tsquery LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    WITH per_config AS (
        SELECT cfg, (SELECT string_agg('''' || replace(replace(pair.lexeme, '\', '\\'),
                                                       '''', '''''') || '''', ' & ')
                     FROM unnest(wirewatch_feed.word_pairs(
                              to_tsvector(cfg, wirewatch_feed.fold(phrase)))) AS pair
                    ) AS pairs
        FROM unnest(configs) AS cfg
    )
    SELECT CASE WHEN bool_and(pairs IS NOT NULL)
                THEN string_agg(DISTINCT '(' || pairs || ')', ' | ')::tsquery END
    FROM per_config
$$;
COMMENT ON FUNCTION wirewatch_feed.pairs_query(text, regconfig[]) IS
    'Word pairs a phrase needs (see word_pairs); NULL when it has none to offer.';
