-- Feed foundations (issue 8): the public schema downstream tools read, full-text
-- search over articles, and the change log behind gap-safe cursors.
--
-- Everything a reader may touch lives in schema wirewatch_feed (views and
-- functions); the internal tables in schema wirewatch may change with any
-- migration, the feed's columns may not.

CREATE SCHEMA IF NOT EXISTS wirewatch_feed;
COMMENT ON SCHEMA wirewatch_feed IS
    'Public, stable read contract of wirewatch: documented views and search helpers. '
    'Grant it with: wirewatch db grant-reader ROLE';

-- Text folding the same way the alert matcher folds (pipelines/alerts/text.py):
-- case and diacritics never decide a match.  translate() keeps it IMMUTABLE,
-- which an indexed, generated column requires (unaccent() is not).
CREATE FUNCTION wirewatch_feed.fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fold$
    SELECT translate(
        replace(replace(replace(replace(lower(t), 'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'), 'þ', 'th'),
        'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïðñòóôõöøùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳʹΆΈΉΊΌΎΏΐΪΫάέήίΰςϊϋόύώϐϑϒϓϔϕϖϰϱϲϵϹЀЁЃЇЌЍЎЙйѐёѓїќѝўѶѷӁӂӐӑӒӓӖӗӚӛӜӝӞӟӢӣӤӥӦӧӪӫӬӭӮӯӰӱӲӳӴӵӸӹḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẛẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ',
        'aaaaaaceeeeiiiidnoooooouuuuyaaaaaaceeeeiiiidnoooooouuuuyyaaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiijjkkllllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzsoouuaaiioouuuuuuuuuuaaaaggkkooooʒʒjggnnaaooaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyyʹαεηιουωιιυαεηιυσιυουωβθΥΥΥφπκρςεςеегікиуииеегікиуѵѵжжааааееәәжжззииииооөөээууууууччыыaabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwysaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy')
$fold$;
COMMENT ON FUNCTION wirewatch_feed.fold(text) IS
    'Lower case without diacritics (Zelénskyy -> zelenskyy), as indexed for search.';

-- Language code (en, en-US, pt_BR) -> text search configuration; 'simple'
-- (no stemming, no stop words) when the language is unknown or has none.
-- Built from the configurations this server has, so it works on PostgreSQL 13+.
DO $build$
DECLARE
    known constant text[][] := ARRAY[
        ['ar', 'arabic'], ['hy', 'armenian'], ['eu', 'basque'], ['ca', 'catalan'],
        ['da', 'danish'], ['nl', 'dutch'], ['en', 'english'], ['fi', 'finnish'],
        ['fr', 'french'], ['de', 'german'], ['el', 'greek'], ['hi', 'hindi'],
        ['hu', 'hungarian'], ['id', 'indonesian'], ['ga', 'irish'], ['it', 'italian'],
        ['lt', 'lithuanian'], ['ne', 'nepali'], ['no', 'norwegian'], ['nb', 'norwegian'],
        ['nn', 'norwegian'], ['pt', 'portuguese'], ['ro', 'romanian'], ['ru', 'russian'],
        ['sr', 'serbian'], ['es', 'spanish'], ['sv', 'swedish'], ['ta', 'tamil'],
        ['tr', 'turkish'], ['yi', 'yiddish']];
    cases text := '';
    configs text[] := ARRAY['pg_catalog.simple'];
    i int;
BEGIN
    FOR i IN 1 .. array_length(known, 1) LOOP
        IF EXISTS (SELECT FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
                   WHERE n.nspname = 'pg_catalog' AND c.cfgname = known[i][2]) THEN
            cases := cases || format(' WHEN %L THEN %L::regconfig', known[i][1],
                                     'pg_catalog.' || known[i][2]);
            IF NOT ('pg_catalog.' || known[i][2]) = ANY (configs) THEN
                configs := configs || ('pg_catalog.' || known[i][2]);
            END IF;
        END IF;
    END LOOP;
    EXECUTE format($f$
        CREATE FUNCTION wirewatch_feed.ts_config(language text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
            SELECT CASE lower(split_part(replace(coalesce(language, ''), '_', '-'), '-', 1))
                %s ELSE 'pg_catalog.simple'::regconfig END
        $body$ $f$, cases);
    EXECUTE format($f$
        CREATE FUNCTION wirewatch_feed.search_configs() RETURNS regconfig[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$ SELECT %L::regconfig[] $body$ $f$,
        configs);
END
$build$;
COMMENT ON FUNCTION wirewatch_feed.ts_config(text) IS
    'Text search configuration used to index an article of this language.';
COMMENT ON FUNCTION wirewatch_feed.search_configs() IS
    'Every configuration articles are indexed with; query helpers try them all.';

-- Title words carry weight A, body words weight B (title-only search uses it).
-- Only the first 100,000 characters of a body are indexed: a tsvector is capped
-- at 1 MB, and an enormous page must never make its article impossible to store.
CREATE FUNCTION wirewatch_feed.document_vector(title text, body text, language text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector(wirewatch_feed.ts_config(language),
                                 wirewatch_feed.fold(coalesce(title, ''))), 'A')
        || setweight(to_tsvector(wirewatch_feed.ts_config(language),
                                 wirewatch_feed.fold(left(coalesce(body, ''), 100000))), 'B')
$$;

ALTER TABLE articles
    ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (wirewatch_feed.document_vector(title, text, language)) STORED,
    -- Set by `wirewatch prune` when it dropped the body (text is then '').
    ADD COLUMN pruned_at timestamptz;
CREATE INDEX articles_search ON articles USING gin (search_vector);
-- "Stories by outlet", the most common downstream listing after "latest".
CREATE INDEX articles_outlet_first_seen ON articles (outlet, first_seen DESC);

-- Query helpers: a query word is folded, then normalised with each given
-- configuration and the variants ORed, so "talks" finds English 'talk' and an
-- unknown-language 'talks' alike.  By default every configuration is tried;
-- pass indexed_configs() (the languages actually stored) to avoid matching
-- through the stemmers of languages you do not have.  Inputs are data, never
-- tsquery syntax.
CREATE FUNCTION wirewatch_feed.words_query(
    words text, configs regconfig[] DEFAULT wirewatch_feed.search_configs())
RETURNS tsquery LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(DISTINCT '(' || q::text || ')', ' | ')::tsquery, ''::tsquery)
    FROM unnest(configs) AS cfg,
         LATERAL plainto_tsquery(cfg, wirewatch_feed.fold(words)) AS q
    WHERE q::text <> ''
$$;
COMMENT ON FUNCTION wirewatch_feed.words_query(text, regconfig[]) IS
    'All of these words: search_vector @@ words_query(''taliban russia'').';

CREATE FUNCTION wirewatch_feed.phrase_query(
    phrase text, configs regconfig[] DEFAULT wirewatch_feed.search_configs())
RETURNS tsquery LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(DISTINCT '(' || q::text || ')', ' | ')::tsquery, ''::tsquery)
    FROM unnest(configs) AS cfg,
         LATERAL phraseto_tsquery(cfg, wirewatch_feed.fold(phrase)) AS q
    WHERE q::text <> ''
$$;
COMMENT ON FUNCTION wirewatch_feed.phrase_query(text, regconfig[]) IS
    'These words next to each other, in order.';

CREATE FUNCTION wirewatch_feed.prefix_query(
    word text, configs regconfig[] DEFAULT wirewatch_feed.search_configs())
RETURNS tsquery LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(DISTINCT '(' || q || ')', ' | ')::tsquery, ''::tsquery)
    FROM unnest(configs) AS cfg,
         LATERAL regexp_replace(plainto_tsquery(cfg, wirewatch_feed.fold(word))::text,
                                '''(?:[^'']|'''')*''', '\&:*', 'g') AS q
    WHERE q <> ''
$$;
COMMENT ON FUNCTION wirewatch_feed.prefix_query(text, regconfig[]) IS
    'Words starting with this one: prefix_query(''sanction'') finds sanctions, sanctioned.';

-- Languages stored, read with a loose index scan (one probe per language).
CREATE INDEX articles_language ON articles (language);
CREATE FUNCTION wirewatch_feed.indexed_configs() RETURNS regconfig[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE langs (language) AS (
        (SELECT language FROM wirewatch.articles WHERE language IS NOT NULL
         ORDER BY language LIMIT 1)
        UNION ALL
        SELECT (SELECT a.language FROM wirewatch.articles a WHERE a.language > l.language
                ORDER BY a.language LIMIT 1)
        FROM langs l WHERE l.language IS NOT NULL
    )
    SELECT array_agg(DISTINCT cfg ORDER BY cfg)
    FROM (SELECT wirewatch_feed.ts_config(language) AS cfg FROM langs
          WHERE language IS NOT NULL
          UNION ALL SELECT 'pg_catalog.simple'::regconfig) AS used
$$;
COMMENT ON FUNCTION wirewatch_feed.indexed_configs() IS
    'Configurations of the languages stored (always including simple).';

CREATE FUNCTION wirewatch_feed.in_title(query tsquery) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(query::text, '(''(?:[^'']|'''')*'')(?::(\*))?', '\1:\2A', 'g')::tsquery
$$;
COMMENT ON FUNCTION wirewatch_feed.in_title(tsquery) IS
    'The same query restricted to title words: in_title(words_query(''taliban'')).';

-- The change log: one row per new story, new copy of a story, or canonical
-- change, written by triggers in the writer's own transaction.
--
-- Its position, seq, is assigned at commit time (a deferred trigger), under
-- the row lock of feed_clock, which is held until the commit is visible.  So
-- seq grows in commit order: a reader who sees seq = k also sees every
-- smaller one, and a change can never commit behind a cursor already handed
-- out — which a plain identity column does not give (a transaction that took
-- id 5 may commit after the one that took id 6).  Aborted transactions leave
-- gaps in the numbers, never in the feed.
CREATE TABLE feed_clock (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq  bigint NOT NULL DEFAULT 0
);
INSERT INTO feed_clock DEFAULT VALUES;

CREATE TABLE feed_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The feed position; NULL only until the writing transaction commits.
    seq         bigint UNIQUE,
    -- Writing transaction, to tell changes of the current transaction apart.
    tx          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    kind        text NOT NULL CHECK (kind IN ('story', 'copy', 'update')),
    story_id    bigint NOT NULL,
    article_id  bigint,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feed_changes_story ON feed_changes (story_id);

-- Runs once per change row at commit: number it, then announce it.  NOTIFY
-- is delivered only if and when the transaction commits.
CREATE FUNCTION feed_change_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    position bigint;
BEGIN
    UPDATE wirewatch.feed_clock SET last_seq = last_seq + 1 RETURNING last_seq INTO position;
    UPDATE wirewatch.feed_changes SET seq = position WHERE id = NEW.id;
    PERFORM pg_notify('wirewatch_feed', json_build_object(
        'kind', NEW.kind,
        'id', NEW.story_id,
        'article_id', NEW.article_id,
        'cursor', position::text)::text);
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER feed_change_sequence AFTER INSERT ON feed_changes
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION feed_change_sequence();
