CREATE SCHEMA wirewatch;

CREATE SCHEMA wirewatch_feed;

COMMENT ON SCHEMA wirewatch_feed IS 'Public, stable read contract of wirewatch: documented views and search helpers. Grant it with: wirewatch db grant-reader ROLE';

CREATE FUNCTION wirewatch.alert_due_at(digest text) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE digest
               WHEN 'hourly' THEN date_trunc('hour', now()) + interval '1 hour'
               WHEN 'daily' THEN date_trunc('day', now(), 'UTC') + interval '1 day'
               ELSE now()
           END
$$;

CREATE FUNCTION wirewatch.alert_subscriptions_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE alert_state SET subscriptions_version = subscriptions_version + 1;
    RETURN NULL;
END;
$$;

CREATE FUNCTION wirewatch.bounded_url_key(key text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT CASE WHEN octet_length(convert_to(key, 'UTF8')) <= 2000 THEN key
                ELSE left(key, 500) || '#' || encode(sha256(convert_to(key, 'UTF8')), 'hex')
           END
$$;

COMMENT ON FUNCTION wirewatch.bounded_url_key(key text) IS 'crawler.urls.bounded_key: a URL key short enough for a btree index row';

CREATE FUNCTION wirewatch.feed_change_sequence() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    pending bigint;
    last_position bigint;
    change record;
BEGIN
    IF EXISTS (SELECT FROM wirewatch.feed_changes WHERE id = NEW.id AND seq IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO pending
    FROM wirewatch.feed_changes WHERE tx = pg_current_xact_id() AND seq IS NULL;
    UPDATE wirewatch.feed_clock SET last_seq = last_seq + pending
    RETURNING last_seq INTO last_position;
    -- NOTIFY is delivered only if and when the transaction commits, in this order.
    FOR change IN
        WITH numbered AS (
            SELECT id, last_position - pending + row_number() OVER (ORDER BY id) AS position
            FROM wirewatch.feed_changes
            WHERE tx = pg_current_xact_id() AND seq IS NULL
        ), done AS (
            UPDATE wirewatch.feed_changes f SET seq = n.position
            FROM numbered n WHERE f.id = n.id
            RETURNING f.kind, f.story_id, f.article_id, f.seq
        )
        SELECT * FROM done ORDER BY seq
    LOOP
        PERFORM pg_notify('wirewatch_feed', json_build_object(
            'kind', change.kind,
            'id', change.story_id,
            'article_id', change.article_id,
            'cursor', change.seq::text)::text);
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE FUNCTION wirewatch.feed_copy_added() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM wirewatch.feed_changes
                   WHERE story_id = NEW.story_id AND kind = 'story'
                     AND article_id = NEW.article_id AND tx = pg_current_xact_id()) THEN
        INSERT INTO wirewatch.feed_changes (kind, story_id, article_id)
        VALUES ('copy', NEW.story_id, NEW.article_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION wirewatch.feed_revision_added() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO wirewatch.feed_changes (kind, story_id, article_id)
    SELECT 'revision', c.story_id, NEW.article_id
    FROM wirewatch.story_copies c WHERE c.article_id = NEW.article_id;
    RETURN NULL;
END;
$$;

CREATE FUNCTION wirewatch.feed_story_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO wirewatch.feed_changes (kind, story_id, article_id)
    VALUES ('story', NEW.id, NEW.canonical_article_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION wirewatch.feed_story_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT wirewatch.story_created_in_this_transaction(NEW.id) THEN
        INSERT INTO wirewatch.feed_changes (kind, story_id, article_id)
        VALUES ('update', NEW.id, NEW.canonical_article_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION wirewatch.story_created_in_this_transaction(story bigint) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
    SELECT EXISTS (SELECT FROM wirewatch.feed_changes
                   WHERE story_id = story AND kind = 'story' AND tx = pg_current_xact_id())
$$;

CREATE TABLE wirewatch.feed_changes (
    id bigint NOT NULL,
    seq bigint,
    tx xid8 DEFAULT pg_current_xact_id() NOT NULL,
    kind text NOT NULL,
    story_id bigint NOT NULL,
    article_id bigint,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT feed_changes_kind_check CHECK ((kind = ANY (ARRAY['story'::text, 'copy'::text, 'update'::text, 'revision'::text])))
);

CREATE VIEW wirewatch_feed.changes AS
 SELECT (seq)::text AS cursor,
    kind,
    story_id,
    article_id,
    changed_at,
    seq
   FROM wirewatch.feed_changes c
  WHERE (seq IS NOT NULL);

COMMENT ON VIEW wirewatch_feed.changes IS 'The change log (kind: story, copy, update, revision; more kinds may be added, ignore the ones you do not know), ordered by seq; read it with changes_after(cursor, n). NOTIFY channel: wirewatch_feed.';

CREATE FUNCTION wirewatch_feed.changes_after(after text DEFAULT NULL::text, max_rows integer DEFAULT 1000) RETURNS SETOF wirewatch_feed.changes
    LANGUAGE plpgsql STABLE
    AS $_$
DECLARE
    position bigint := 0;
BEGIN
    IF after IS NOT NULL AND after <> '' THEN
        IF after !~ '^[0-9]{1,18}$' THEN
            RAISE EXCEPTION 'malformed feed cursor: %', after
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass the cursor of the last change you handled, e.g. 1042.';
        END IF;
        position := after::bigint;
        IF position > (SELECT last_seq FROM wirewatch_feed.feed_head()) THEN
            RAISE EXCEPTION 'feed cursor % is ahead of the feed', after
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM wirewatch_feed.changes c
                 WHERE c.seq > position ORDER BY c.seq LIMIT max_rows;
END;
$_$;

COMMENT ON FUNCTION wirewatch_feed.changes_after(after text, max_rows integer) IS 'The next changes after a cursor (NULL = from the beginning), oldest first.';

CREATE FUNCTION wirewatch_feed.document_vector(title text, body text, language text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT setweight(to_tsvector(wirewatch_feed.ts_config(language),
                                 wirewatch_feed.fold(coalesce(title, ''))), 'A')
        || setweight(to_tsvector(wirewatch_feed.ts_config(language),
                                 wirewatch_feed.fold(left(coalesce(body, ''), 100000))), 'B')
$$;

CREATE FUNCTION wirewatch_feed.feed_head() RETURNS TABLE(last_seq bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT last_seq FROM wirewatch.feed_clock
$$;

COMMENT ON FUNCTION wirewatch_feed.feed_head() IS 'The newest cursor ever handed out; a cursor beyond it was not issued here.';

CREATE FUNCTION wirewatch_feed.fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
            SELECT translate(
                regexp_replace(
                    normalize(
                        replace(replace(replace(replace(lower(t),
                            'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'), 'þ', 'th'),
                        NFKD),
                    -- combining diacritics (Latin, Greek, Cyrillic, Hebrew, Arabic marks)
                    '[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u064b-\u065f\u0670'
                    '\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]',
                    '', 'g'),
                'øđłħıðŀ', 'odlhidl')
        $$;

COMMENT ON FUNCTION wirewatch_feed.fold(t text) IS 'Lower case without diacritics (Zelénskyy -> zelenskyy), as indexed for search.';

CREATE FUNCTION wirewatch_feed.in_title(query tsquery) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT regexp_replace(query::text, '(''(?:[^'']|'''')*'')(?::(\*))?', '\1:\2A', 'g')::tsquery
$$;

COMMENT ON FUNCTION wirewatch_feed.in_title(query tsquery) IS 'The same query restricted to title words: in_title(words_query(''taliban'')).';

CREATE FUNCTION wirewatch_feed.indexed_configs() RETURNS regconfig[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION wirewatch_feed.indexed_configs() IS 'Configurations of the languages stored (always including simple).';

CREATE FUNCTION wirewatch_feed.search_configs() RETURNS regconfig[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '{pg_catalog.simple,pg_catalog.arabic,pg_catalog.armenian,pg_catalog.basque,pg_catalog.catalan,pg_catalog.danish,pg_catalog.dutch,pg_catalog.english,pg_catalog.finnish,pg_catalog.french,pg_catalog.german,pg_catalog.greek,pg_catalog.hindi,pg_catalog.hungarian,pg_catalog.indonesian,pg_catalog.irish,pg_catalog.italian,pg_catalog.lithuanian,pg_catalog.nepali,pg_catalog.norwegian,pg_catalog.portuguese,pg_catalog.romanian,pg_catalog.russian,pg_catalog.serbian,pg_catalog.spanish,pg_catalog.swedish,pg_catalog.tamil,pg_catalog.turkish,pg_catalog.yiddish}'::regconfig[] $$;

COMMENT ON FUNCTION wirewatch_feed.search_configs() IS 'Every configuration articles are indexed with; query helpers try them all.';

CREATE FUNCTION wirewatch_feed.pairs_query(phrase text, configs regconfig[] DEFAULT wirewatch_feed.search_configs()) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
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

COMMENT ON FUNCTION wirewatch_feed.pairs_query(phrase text, configs regconfig[]) IS 'Word pairs a phrase needs (see word_pairs); NULL when it has none to offer.';

CREATE FUNCTION wirewatch_feed.phrase_query(phrase text, configs regconfig[] DEFAULT wirewatch_feed.search_configs()) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT coalesce(string_agg(DISTINCT '(' || q::text || ')', ' | ')::tsquery, ''::tsquery)
    FROM unnest(configs) AS cfg,
         LATERAL phraseto_tsquery(cfg, wirewatch_feed.fold(phrase)) AS q
    WHERE q::text <> ''
$$;

COMMENT ON FUNCTION wirewatch_feed.phrase_query(phrase text, configs regconfig[]) IS 'These words next to each other, in order.';

CREATE FUNCTION wirewatch_feed.prefix_query(word text, configs regconfig[] DEFAULT wirewatch_feed.search_configs()) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT coalesce(string_agg(DISTINCT '(' || q || ')', ' | ')::tsquery, ''::tsquery)
    FROM unnest(configs) AS cfg,
         LATERAL regexp_replace(plainto_tsquery(cfg, wirewatch_feed.fold(word))::text,
                                '''(?:[^'']|'''')*''', '\&:*', 'g') AS q
    WHERE q <> ''
$$;

COMMENT ON FUNCTION wirewatch_feed.prefix_query(word text, configs regconfig[]) IS 'Words starting with this one: prefix_query(''sanction'') finds sanctions, sanctioned.';

CREATE FUNCTION wirewatch_feed.ts_config(language text) RETURNS regconfig
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
        BEGIN
            RETURN CASE lower(split_part(replace(coalesce(language, ''), '_', '-'), '-', 1))
                 WHEN 'ar' THEN 'pg_catalog.arabic'::regconfig WHEN 'hy' THEN 'pg_catalog.armenian'::regconfig WHEN 'eu' THEN 'pg_catalog.basque'::regconfig WHEN 'ca' THEN 'pg_catalog.catalan'::regconfig WHEN 'da' THEN 'pg_catalog.danish'::regconfig WHEN 'nl' THEN 'pg_catalog.dutch'::regconfig WHEN 'en' THEN 'pg_catalog.english'::regconfig WHEN 'fi' THEN 'pg_catalog.finnish'::regconfig WHEN 'fr' THEN 'pg_catalog.french'::regconfig WHEN 'de' THEN 'pg_catalog.german'::regconfig WHEN 'el' THEN 'pg_catalog.greek'::regconfig WHEN 'hi' THEN 'pg_catalog.hindi'::regconfig WHEN 'hu' THEN 'pg_catalog.hungarian'::regconfig WHEN 'id' THEN 'pg_catalog.indonesian'::regconfig WHEN 'ga' THEN 'pg_catalog.irish'::regconfig WHEN 'it' THEN 'pg_catalog.italian'::regconfig WHEN 'lt' THEN 'pg_catalog.lithuanian'::regconfig WHEN 'ne' THEN 'pg_catalog.nepali'::regconfig WHEN 'no' THEN 'pg_catalog.norwegian'::regconfig WHEN 'nb' THEN 'pg_catalog.norwegian'::regconfig WHEN 'nn' THEN 'pg_catalog.norwegian'::regconfig WHEN 'pt' THEN 'pg_catalog.portuguese'::regconfig WHEN 'ro' THEN 'pg_catalog.romanian'::regconfig WHEN 'ru' THEN 'pg_catalog.russian'::regconfig WHEN 'sr' THEN 'pg_catalog.serbian'::regconfig WHEN 'es' THEN 'pg_catalog.spanish'::regconfig WHEN 'sv' THEN 'pg_catalog.swedish'::regconfig WHEN 'ta' THEN 'pg_catalog.tamil'::regconfig WHEN 'tr' THEN 'pg_catalog.turkish'::regconfig WHEN 'yi' THEN 'pg_catalog.yiddish'::regconfig ELSE 'pg_catalog.simple'::regconfig END;
        END
        $$;

COMMENT ON FUNCTION wirewatch_feed.ts_config(language text) IS 'Text search configuration used to index an article of this language.';

CREATE FUNCTION wirewatch_feed.word_pairs(v tsvector) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
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

COMMENT ON FUNCTION wirewatch_feed.word_pairs(v tsvector) IS 'Adjacent lexeme pairs of a vector as tokens (''prime minist''), for phrase search: word_pairs(search_vector) @@ pairs_query(''prime minister'') is indexed.';

CREATE FUNCTION wirewatch_feed.words_query(words text, configs regconfig[] DEFAULT wirewatch_feed.search_configs()) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT coalesce(string_agg(DISTINCT '(' || q::text || ')', ' | ')::tsquery, ''::tsquery)
    FROM unnest(configs) AS cfg,
         LATERAL plainto_tsquery(cfg, wirewatch_feed.fold(words)) AS q
    WHERE q::text <> ''
$$;

COMMENT ON FUNCTION wirewatch_feed.words_query(words text, configs regconfig[]) IS 'All of these words: search_vector @@ words_query(''taliban russia'').';

CREATE TABLE wirewatch.alert_attempts (
    id bigint NOT NULL,
    subscription_id bigint NOT NULL,
    outbox_ids bigint[] NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    outcome text NOT NULL,
    detail text,
    CONSTRAINT alert_attempts_outcome_check CHECK ((outcome = ANY (ARRAY['sent'::text, 'retry'::text, 'failed'::text])))
);

ALTER TABLE wirewatch.alert_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.alert_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE wirewatch.alert_backfills (
    id bigint NOT NULL,
    subscription_id bigint NOT NULL,
    query text NOT NULL,
    exact boolean NOT NULL,
    since timestamp with time zone NOT NULL,
    candidates integer NOT NULL,
    matched integer NOT NULL,
    queued integer NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE wirewatch.alert_backfills ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.alert_backfills_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE wirewatch.alert_outbox (
    id bigint NOT NULL,
    subscription_id bigint NOT NULL,
    story_id bigint NOT NULL,
    matched_terms text[] DEFAULT '{}'::text[] NOT NULL,
    enqueued_at timestamp with time zone DEFAULT now() NOT NULL,
    due_at timestamp with time zone DEFAULT now() NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_error text,
    message_id text,
    sent_at timestamp with time zone,
    article_id bigint,
    revision integer,
    CONSTRAINT alert_outbox_edit_shape CHECK (((article_id IS NULL) = (revision IS NULL))),
    CONSTRAINT alert_outbox_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'sent'::text, 'failed'::text])))
);

ALTER TABLE wirewatch.alert_outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.alert_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE wirewatch.alert_state (
    singleton boolean DEFAULT true NOT NULL,
    subscriptions_version bigint DEFAULT 0 NOT NULL,
    CONSTRAINT alert_state_singleton_check CHECK (singleton)
);

CREATE TABLE wirewatch.alert_subscriptions (
    id bigint NOT NULL,
    name text,
    query text NOT NULL,
    exact boolean DEFAULT false NOT NULL,
    channel text NOT NULL,
    target text NOT NULL,
    secret_env text,
    digest text DEFAULT 'immediate'::text NOT NULL,
    origin text DEFAULT 'cli'::text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    disabled_reason text,
    failures integer DEFAULT 0 NOT NULL,
    last_error text,
    last_error_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    on_edit text,
    CONSTRAINT alert_subscriptions_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'webhook'::text, 'apprise'::text]))),
    CONSTRAINT alert_subscriptions_digest_check CHECK ((digest = ANY (ARRAY['immediate'::text, 'hourly'::text, 'daily'::text]))),
    CONSTRAINT alert_subscriptions_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'::text)),
    CONSTRAINT alert_subscriptions_on_edit_check CHECK ((on_edit = ANY (ARRAY['headline'::text, 'substantive'::text]))),
    CONSTRAINT alert_subscriptions_origin_check CHECK ((origin = ANY (ARRAY['cli'::text, 'config'::text])))
);

ALTER TABLE wirewatch.alert_subscriptions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.alert_subscriptions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE wirewatch.article_revisions (
    article_id bigint NOT NULL,
    revision integer NOT NULL,
    fetched_at timestamp with time zone NOT NULL,
    title text,
    text text NOT NULL,
    words_added integer NOT NULL,
    words_removed integer NOT NULL,
    headline_changed boolean NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT article_revisions_revision_check CHECK ((revision >= 1)),
    CONSTRAINT article_revisions_words_added_check CHECK ((words_added >= 0)),
    CONSTRAINT article_revisions_words_removed_check CHECK ((words_removed >= 0))
);

CREATE TABLE wirewatch.articles (
    id bigint NOT NULL,
    url text NOT NULL,
    url_key text NOT NULL,
    canonical_url text,
    source text NOT NULL,
    outlet text NOT NULL,
    title text,
    text text NOT NULL,
    published timestamp with time zone,
    authors text[] DEFAULT '{}'::text[] NOT NULL,
    language text,
    top_image text,
    section text,
    summary text,
    wire_credit text,
    dateline text,
    content_hash text NOT NULL,
    discovered_at timestamp with time zone,
    fetched_at timestamp with time zone NOT NULL,
    first_seen timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    crawl_run_id bigint,
    search_vector tsvector GENERATED ALWAYS AS (wirewatch_feed.document_vector(title, text, language)) STORED,
    pruned_at timestamp with time zone,
    paywalled boolean DEFAULT false NOT NULL,
    warc_file text,
    warc_offset bigint,
    warc_length integer,
    CONSTRAINT articles_warc_pointer CHECK ((((warc_file IS NULL) AND (warc_offset IS NULL) AND (warc_length IS NULL)) OR ((warc_file IS NOT NULL) AND (warc_offset >= 0) AND (warc_length > 0))))
);

ALTER TABLE wirewatch.articles ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.articles_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE wirewatch.boilerplate_blocks (
    domain text NOT NULL,
    block_key text NOT NULL,
    pages integer NOT NULL,
    sample text NOT NULL,
    first_seen timestamp with time zone DEFAULT now() NOT NULL,
    last_seen timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT boilerplate_blocks_pages_check CHECK ((pages > 0))
);

CREATE TABLE wirewatch.boilerplate_pages (
    domain text NOT NULL,
    page_key text NOT NULL,
    learned_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE wirewatch.crawl_errors (
    id bigint NOT NULL,
    run_id bigint,
    source text NOT NULL,
    url text,
    kind text NOT NULL,
    message text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE wirewatch.crawl_errors ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.crawl_errors_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE wirewatch.crawl_runs (
    id bigint NOT NULL,
    source text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    status text DEFAULT 'running'::text NOT NULL,
    finish_reason text,
    pages_fetched integer DEFAULT 0 NOT NULL,
    articles_new integer DEFAULT 0 NOT NULL,
    articles_updated integer DEFAULT 0 NOT NULL,
    articles_unchanged integer DEFAULT 0 NOT NULL,
    errors integer DEFAULT 0 NOT NULL,
    stats jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT crawl_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'ok'::text, 'partial'::text, 'failed'::text])))
);

ALTER TABLE wirewatch.crawl_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.crawl_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE wirewatch.feed_changes ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.feed_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE wirewatch.feed_clock (
    singleton boolean DEFAULT true NOT NULL,
    last_seq bigint DEFAULT 0 NOT NULL,
    CONSTRAINT feed_clock_singleton_check CHECK (singleton)
);

CREATE TABLE wirewatch.health_alarms (
    source text NOT NULL,
    kind text NOT NULL,
    message text NOT NULL,
    raised_at timestamp with time zone DEFAULT now() NOT NULL,
    notified_at timestamp with time zone
);

CREATE TABLE wirewatch.host_backoff (
    host text NOT NULL,
    not_before timestamp with time zone NOT NULL,
    reason text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE wirewatch.listing_state (
    url text NOT NULL,
    host text NOT NULL,
    source text NOT NULL,
    etag text,
    last_modified text,
    content_hash text NOT NULL,
    children text[] DEFAULT '{}'::text[] NOT NULL,
    validators_trusted boolean DEFAULT true NOT NULL,
    distrust_reason text,
    fetches_since_full integer DEFAULT 0 NOT NULL,
    checked_at timestamp with time zone DEFAULT now() NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    url_md5 text GENERATED ALWAYS AS (md5(url)) STORED NOT NULL,
    source_config text
);

CREATE TABLE wirewatch.lsh_bands (
    band_key bigint NOT NULL,
    article_id bigint NOT NULL
);

CREATE TABLE wirewatch.reextract_runs (
    selection text NOT NULL,
    source text,
    horizon timestamp with time zone,
    last_id bigint NOT NULL,
    after_id bigint DEFAULT 0 NOT NULL,
    counts jsonb DEFAULT '{}'::jsonb NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone
);

CREATE TABLE wirewatch.scheduler_jobs (
    job text NOT NULL,
    last_fire_at timestamp with time zone,
    last_started_at timestamp with time zone,
    last_finished_at timestamp with time zone,
    running_since timestamp with time zone,
    last_outcome text,
    last_exit_code integer,
    last_message text,
    runs bigint DEFAULT 0 NOT NULL,
    skips bigint DEFAULT 0 NOT NULL,
    next_run_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE wirewatch.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE wirewatch.sources (
    name text NOT NULL,
    kind text NOT NULL,
    urls text[] NOT NULL,
    wire boolean DEFAULT false NOT NULL,
    schedule text,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT sources_kind_check CHECK ((kind = ANY (ARRAY['feed'::text, 'sitemap'::text, 'section'::text, 'import'::text]))),
    CONSTRAINT sources_name_check CHECK ((name ~ '^[a-z0-9_-]+$'::text))
);

CREATE TABLE wirewatch.stories (
    id bigint NOT NULL,
    canonical_article_id bigint NOT NULL,
    title text,
    wire_credit text,
    copy_count integer DEFAULT 1 NOT NULL,
    merged_into bigint,
    first_seen timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT stories_copy_count_check CHECK ((copy_count >= 0))
);

ALTER TABLE wirewatch.stories ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME wirewatch.stories_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE wirewatch.story_copies (
    article_id bigint NOT NULL,
    story_id bigint NOT NULL,
    similarity real NOT NULL,
    matched_article_id bigint,
    words integer NOT NULL,
    band_keys bigint[] NOT NULL,
    fingerprint_version smallint NOT NULL,
    first_seen timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    sketch bytea,
    CONSTRAINT story_copies_similarity_check CHECK (((similarity >= (0)::double precision) AND (similarity <= (1)::double precision)))
);
ALTER TABLE ONLY wirewatch.story_copies ALTER COLUMN sketch SET STORAGE MAIN;

CREATE TABLE wirewatch.warc_import_records (
    file_key text NOT NULL,
    ordinal bigint NOT NULL,
    kind text NOT NULL
);

CREATE TABLE wirewatch.warc_imports (
    file_key text NOT NULL,
    location text NOT NULL,
    source text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    claimed_by text,
    next_offset bigint DEFAULT 0 NOT NULL,
    records_done bigint DEFAULT 0 NOT NULL,
    counts jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    checkpoint_at timestamp with time zone,
    finished_at timestamp with time zone,
    CONSTRAINT warc_imports_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'working'::text, 'done'::text])))
);

CREATE TABLE wirewatch.web_keys (
    name text NOT NULL,
    key bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT web_keys_key_check CHECK ((length(key) >= 32))
);

CREATE VIEW wirewatch_feed.articles AS
 SELECT a.id AS article_id,
    a.url,
    a.canonical_url,
    a.source,
    a.outlet,
    a.title,
        CASE
            WHEN (a.pruned_at IS NULL) THEN a.text
            ELSE NULL::text
        END AS text,
    a.summary,
    a.published,
    a.authors,
    a.language,
    a.section,
    a.top_image,
    a.wire_credit,
    a.dateline,
    a.first_seen,
    a.fetched_at,
    a.updated_at,
    a.pruned_at,
    c.story_id,
    a.search_vector,
    a.paywalled
   FROM (wirewatch.articles a
     LEFT JOIN wirewatch.story_copies c ON ((c.article_id = a.id)));

COMMENT ON VIEW wirewatch_feed.articles IS 'Every stored article (one per URL). text is NULL once pruned; story_id is NULL until dedupe filed it. search_vector: title (weight A) + body (B), folded.';

COMMENT ON COLUMN wirewatch_feed.articles.paywalled IS 'The page was marked for subscribers but served the article text.';

CREATE VIEW wirewatch_feed.copies AS
 SELECT c.story_id,
    c.article_id,
    a.outlet,
    a.source,
    a.url,
    a.title,
    a.published,
    c.first_seen,
    c.similarity,
    (s.canonical_article_id = c.article_id) AS is_canonical,
    c.matched_article_id
   FROM ((wirewatch.story_copies c
     JOIN wirewatch.articles a ON ((a.id = c.article_id)))
     JOIN wirewatch.stories s ON ((s.id = c.story_id)));

COMMENT ON VIEW wirewatch_feed.copies IS 'Provenance: each outlet''s copy of a story, with its containment similarity (0..1) to the copy it matched.';

CREATE VIEW wirewatch_feed.crawl_health AS
 SELECT src.name AS source,
    last_run.run_id AS last_run_id,
    last_run.started_at AS last_started_at,
    last_run.finished_at AS last_finished_at,
    last_run.status AS last_status,
    last_run.finish_reason AS last_finish_reason,
    ( SELECT max(r.finished_at) AS max
           FROM wirewatch.crawl_runs r
          WHERE ((r.source = src.name) AND (r.status = 'ok'::text))) AS last_ok_at,
    day.runs AS runs_24h,
    day.failed AS failed_runs_24h,
    day.pages AS pages_fetched_24h,
    day.articles_new AS articles_new_24h,
    day.errors AS errors_24h,
    ( SELECT max(a.first_seen) AS max
           FROM wirewatch.articles a
          WHERE (a.source = src.name)) AS last_article_at
   FROM ((wirewatch.sources src
     LEFT JOIN LATERAL ( SELECT r.id AS run_id,
            r.started_at,
            r.finished_at,
            r.status,
            r.finish_reason
           FROM wirewatch.crawl_runs r
          WHERE (r.source = src.name)
          ORDER BY r.started_at DESC
         LIMIT 1) last_run ON (true))
     CROSS JOIN LATERAL ( SELECT count(*) AS runs,
            count(*) FILTER (WHERE (r.status = 'failed'::text)) AS failed,
            COALESCE(sum(r.pages_fetched), (0)::bigint) AS pages,
            COALESCE(sum(r.articles_new), (0)::bigint) AS articles_new,
            COALESCE(sum(r.errors), (0)::bigint) AS errors
           FROM wirewatch.crawl_runs r
          WHERE ((r.source = src.name) AND (r.started_at > (now() - '24:00:00'::interval)))) day);

COMMENT ON VIEW wirewatch_feed.crawl_health IS 'Per source: the last crawl, the last successful one, the last 24 hours in sums.';

CREATE VIEW wirewatch_feed.crawl_runs AS
 SELECT id AS run_id,
    source,
    started_at,
    finished_at,
    status,
    finish_reason,
    pages_fetched,
    articles_new,
    articles_updated,
    articles_unchanged,
    errors
   FROM wirewatch.crawl_runs;

COMMENT ON VIEW wirewatch_feed.crawl_runs IS 'One row per crawl of one source.';

CREATE VIEW wirewatch_feed.revisions AS
 SELECT r.article_id,
    c.story_id,
    r.revision,
    r.fetched_at,
    r.title,
        CASE
            WHEN (a.pruned_at IS NULL) THEN r.text
            ELSE NULL::text
        END AS text,
    r.words_added,
    r.words_removed,
    r.headline_changed
   FROM ((wirewatch.article_revisions r
     JOIN wirewatch.articles a ON ((a.id = r.article_id)))
     LEFT JOIN wirewatch.story_copies c ON ((c.article_id = r.article_id)));

COMMENT ON VIEW wirewatch_feed.revisions IS 'Every version of every article: revision 1 is the first fetch (or the text stored when revisions began, migration 0100), each later one a refetch that found the title or text changed. words_added/words_removed count words against the previous revision; text is NULL once the article is pruned. story_id is the story now.';

CREATE VIEW wirewatch_feed.sources AS
 SELECT name AS source,
    kind,
    urls,
    wire,
    schedule,
    created_at,
    updated_at
   FROM wirewatch.sources;

COMMENT ON VIEW wirewatch_feed.sources IS 'Configured sources, as last synced from wirewatch.toml.';

CREATE VIEW wirewatch_feed.stories AS
 SELECT s.id AS story_id,
    COALESCE(s.title, a.title) AS title,
        CASE
            WHEN (a.pruned_at IS NULL) THEN a.text
            ELSE NULL::text
        END AS text,
    a.summary,
    a.url,
    a.outlet,
    a.source,
    a.published,
    s.first_seen,
    s.updated_at,
    a.language,
    COALESCE(s.wire_credit, a.wire_credit) AS wire_credit,
    s.copy_count AS copies,
    COALESCE(o.outlets, ARRAY[a.outlet]) AS outlets,
    s.canonical_article_id,
    s.merged_into,
    a.paywalled
   FROM ((wirewatch.stories s
     JOIN wirewatch.articles a ON ((a.id = s.canonical_article_id)))
     LEFT JOIN LATERAL ( SELECT array_agg(by_outlet.outlet ORDER BY by_outlet.first_seen, by_outlet.outlet) AS outlets
           FROM ( SELECT ca.outlet,
                    min(c.first_seen) AS first_seen
                   FROM (wirewatch.story_copies c
                     JOIN wirewatch.articles ca ON ((ca.id = c.article_id)))
                  WHERE (c.story_id = s.id)
                  GROUP BY ca.outlet) by_outlet) o ON (true));

COMMENT ON VIEW wirewatch_feed.stories IS 'One row per story: its canonical copy''s title, text and URL, and every outlet that carried it (in order of first appearance). merged_into is set when the story was folded into another one; it then has no copies.';

COMMENT ON COLUMN wirewatch_feed.stories.paywalled IS 'The canonical copy was marked for subscribers but served the article text.';

ALTER TABLE ONLY wirewatch.alert_attempts
    ADD CONSTRAINT alert_attempts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.alert_backfills
    ADD CONSTRAINT alert_backfills_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.alert_outbox
    ADD CONSTRAINT alert_outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.alert_state
    ADD CONSTRAINT alert_state_pkey PRIMARY KEY (singleton);

ALTER TABLE ONLY wirewatch.alert_subscriptions
    ADD CONSTRAINT alert_subscriptions_name_key UNIQUE (name);

ALTER TABLE ONLY wirewatch.alert_subscriptions
    ADD CONSTRAINT alert_subscriptions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.article_revisions
    ADD CONSTRAINT article_revisions_pkey PRIMARY KEY (article_id, revision);

ALTER TABLE ONLY wirewatch.articles
    ADD CONSTRAINT articles_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.articles
    ADD CONSTRAINT articles_url_key_key UNIQUE (url_key);

ALTER TABLE ONLY wirewatch.boilerplate_blocks
    ADD CONSTRAINT boilerplate_blocks_pkey PRIMARY KEY (domain, block_key);

ALTER TABLE ONLY wirewatch.boilerplate_pages
    ADD CONSTRAINT boilerplate_pages_pkey PRIMARY KEY (domain, page_key);

ALTER TABLE ONLY wirewatch.crawl_errors
    ADD CONSTRAINT crawl_errors_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.crawl_runs
    ADD CONSTRAINT crawl_runs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.feed_changes
    ADD CONSTRAINT feed_changes_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.feed_changes
    ADD CONSTRAINT feed_changes_seq_key UNIQUE (seq);

ALTER TABLE ONLY wirewatch.feed_clock
    ADD CONSTRAINT feed_clock_pkey PRIMARY KEY (singleton);

ALTER TABLE ONLY wirewatch.health_alarms
    ADD CONSTRAINT health_alarms_pkey PRIMARY KEY (source, kind);

ALTER TABLE ONLY wirewatch.host_backoff
    ADD CONSTRAINT host_backoff_pkey PRIMARY KEY (host);

ALTER TABLE ONLY wirewatch.listing_state
    ADD CONSTRAINT listing_state_pkey PRIMARY KEY (url_md5);

ALTER TABLE ONLY wirewatch.lsh_bands
    ADD CONSTRAINT lsh_bands_pkey PRIMARY KEY (band_key, article_id);

ALTER TABLE ONLY wirewatch.reextract_runs
    ADD CONSTRAINT reextract_runs_pkey PRIMARY KEY (selection);

ALTER TABLE ONLY wirewatch.scheduler_jobs
    ADD CONSTRAINT scheduler_jobs_pkey PRIMARY KEY (job);

ALTER TABLE ONLY wirewatch.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY wirewatch.sources
    ADD CONSTRAINT sources_pkey PRIMARY KEY (name);

ALTER TABLE ONLY wirewatch.stories
    ADD CONSTRAINT stories_pkey PRIMARY KEY (id);

ALTER TABLE ONLY wirewatch.story_copies
    ADD CONSTRAINT story_copies_pkey PRIMARY KEY (article_id);

ALTER TABLE ONLY wirewatch.warc_import_records
    ADD CONSTRAINT warc_import_records_pkey PRIMARY KEY (file_key, ordinal);

ALTER TABLE ONLY wirewatch.warc_imports
    ADD CONSTRAINT warc_imports_pkey PRIMARY KEY (file_key);

ALTER TABLE ONLY wirewatch.web_keys
    ADD CONSTRAINT web_keys_pkey PRIMARY KEY (name);

CREATE INDEX alert_attempts_subscription ON wirewatch.alert_attempts USING btree (subscription_id, at DESC);

CREATE INDEX alert_backfills_subscription ON wirewatch.alert_backfills USING btree (subscription_id, at DESC);

CREATE UNIQUE INDEX alert_outbox_edit_alert ON wirewatch.alert_outbox USING btree (article_id, revision, subscription_id) WHERE (revision IS NOT NULL);

CREATE INDEX alert_outbox_pending ON wirewatch.alert_outbox USING btree (subscription_id, due_at) WHERE (status = 'pending'::text);

CREATE INDEX alert_outbox_story ON wirewatch.alert_outbox USING btree (story_id);

CREATE UNIQUE INDEX alert_outbox_story_alert ON wirewatch.alert_outbox USING btree (subscription_id, story_id) WHERE (revision IS NULL);

CREATE INDEX articles_canonical_url ON wirewatch.articles USING hash (canonical_url);

CREATE INDEX articles_content_hash ON wirewatch.articles USING btree (content_hash);

CREATE INDEX articles_language ON wirewatch.articles USING btree (language);

CREATE INDEX articles_outlet_first_seen ON wirewatch.articles USING btree (outlet, first_seen DESC);

CREATE INDEX articles_published ON wirewatch.articles USING btree (published DESC);

CREATE INDEX articles_search ON wirewatch.articles USING gin (search_vector);

CREATE INDEX articles_search_pairs ON wirewatch.articles USING gin (wirewatch_feed.word_pairs(search_vector));

CREATE INDEX articles_source_first_seen ON wirewatch.articles USING btree (source, first_seen DESC);

CREATE INDEX articles_updated_at ON wirewatch.articles USING btree (updated_at);

CREATE INDEX articles_url ON wirewatch.articles USING hash (url);

CREATE INDEX articles_warc_file ON wirewatch.articles USING btree (warc_file) WHERE (warc_file IS NOT NULL);

CREATE INDEX boilerplate_blocks_domain_pages ON wirewatch.boilerplate_blocks USING btree (domain, pages DESC);

CREATE INDEX boilerplate_blocks_last_seen ON wirewatch.boilerplate_blocks USING btree (last_seen);

CREATE INDEX boilerplate_pages_learned_at ON wirewatch.boilerplate_pages USING btree (learned_at);

CREATE INDEX crawl_errors_at ON wirewatch.crawl_errors USING btree (at DESC);

CREATE INDEX crawl_errors_run ON wirewatch.crawl_errors USING btree (run_id);

CREATE INDEX crawl_errors_source_at ON wirewatch.crawl_errors USING btree (source, at DESC);

CREATE INDEX crawl_runs_running ON wirewatch.crawl_runs USING btree (source) WHERE (status = 'running'::text);

CREATE INDEX crawl_runs_source_started ON wirewatch.crawl_runs USING btree (source, started_at DESC);

CREATE INDEX feed_changes_story ON wirewatch.feed_changes USING btree (story_id);

CREATE INDEX feed_changes_unnumbered ON wirewatch.feed_changes USING btree (tx, id) WHERE (seq IS NULL);

CREATE INDEX listing_state_host ON wirewatch.listing_state USING btree (host) WHERE (NOT validators_trusted);

CREATE INDEX listing_state_source ON wirewatch.listing_state USING btree (source);

CREATE INDEX stories_canonical_article ON wirewatch.stories USING btree (canonical_article_id);

CREATE INDEX stories_first_seen ON wirewatch.stories USING btree (first_seen DESC);

CREATE INDEX story_copies_story ON wirewatch.story_copies USING btree (story_id, first_seen);

CREATE INDEX warc_imports_unfinished ON wirewatch.warc_imports USING btree (status) WHERE (status <> 'done'::text);

CREATE TRIGGER alert_subscriptions_changed AFTER INSERT OR DELETE OR UPDATE OF query, exact, active OR TRUNCATE ON wirewatch.alert_subscriptions FOR EACH STATEMENT EXECUTE FUNCTION wirewatch.alert_subscriptions_changed();

CREATE CONSTRAINT TRIGGER feed_change_sequence AFTER INSERT ON wirewatch.feed_changes DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wirewatch.feed_change_sequence();

CREATE TRIGGER feed_copy_inserted AFTER INSERT ON wirewatch.story_copies FOR EACH ROW EXECUTE FUNCTION wirewatch.feed_copy_added();

CREATE TRIGGER feed_copy_moved AFTER UPDATE OF story_id ON wirewatch.story_copies FOR EACH ROW WHEN ((old.story_id IS DISTINCT FROM new.story_id)) EXECUTE FUNCTION wirewatch.feed_copy_added();

CREATE TRIGGER feed_revision_added AFTER INSERT ON wirewatch.article_revisions FOR EACH ROW WHEN ((new.revision > 1)) EXECUTE FUNCTION wirewatch.feed_revision_added();

CREATE TRIGGER feed_story_inserted AFTER INSERT ON wirewatch.stories FOR EACH ROW EXECUTE FUNCTION wirewatch.feed_story_inserted();

CREATE TRIGGER feed_story_updated AFTER UPDATE OF canonical_article_id, merged_into ON wirewatch.stories FOR EACH ROW WHEN (((old.canonical_article_id IS DISTINCT FROM new.canonical_article_id) OR (old.merged_into IS DISTINCT FROM new.merged_into))) EXECUTE FUNCTION wirewatch.feed_story_updated();

ALTER TABLE ONLY wirewatch.alert_attempts
    ADD CONSTRAINT alert_attempts_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES wirewatch.alert_subscriptions(id) ON DELETE CASCADE;

ALTER TABLE ONLY wirewatch.alert_backfills
    ADD CONSTRAINT alert_backfills_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES wirewatch.alert_subscriptions(id) ON DELETE CASCADE;

ALTER TABLE ONLY wirewatch.alert_outbox
    ADD CONSTRAINT alert_outbox_revision_fkey FOREIGN KEY (article_id, revision) REFERENCES wirewatch.article_revisions(article_id, revision) ON DELETE CASCADE;

ALTER TABLE ONLY wirewatch.alert_outbox
    ADD CONSTRAINT alert_outbox_story_id_fkey FOREIGN KEY (story_id) REFERENCES wirewatch.stories(id) ON DELETE CASCADE;

ALTER TABLE ONLY wirewatch.alert_outbox
    ADD CONSTRAINT alert_outbox_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES wirewatch.alert_subscriptions(id) ON DELETE CASCADE;

ALTER TABLE ONLY wirewatch.article_revisions
    ADD CONSTRAINT article_revisions_article_id_fkey FOREIGN KEY (article_id) REFERENCES wirewatch.articles(id) ON DELETE CASCADE;

ALTER TABLE ONLY wirewatch.articles
    ADD CONSTRAINT articles_crawl_run_id_fkey FOREIGN KEY (crawl_run_id) REFERENCES wirewatch.crawl_runs(id) ON DELETE SET NULL;

ALTER TABLE ONLY wirewatch.articles
    ADD CONSTRAINT articles_source_fkey FOREIGN KEY (source) REFERENCES wirewatch.sources(name) ON UPDATE CASCADE;

ALTER TABLE ONLY wirewatch.crawl_errors
    ADD CONSTRAINT crawl_errors_run_id_fkey FOREIGN KEY (run_id) REFERENCES wirewatch.crawl_runs(id) ON DELETE CASCADE;

ALTER TABLE ONLY wirewatch.crawl_runs
    ADD CONSTRAINT crawl_runs_source_fkey FOREIGN KEY (source) REFERENCES wirewatch.sources(name) ON UPDATE CASCADE;

ALTER TABLE ONLY wirewatch.stories
    ADD CONSTRAINT stories_canonical_article_id_fkey FOREIGN KEY (canonical_article_id) REFERENCES wirewatch.articles(id);

ALTER TABLE ONLY wirewatch.stories
    ADD CONSTRAINT stories_merged_into_fkey FOREIGN KEY (merged_into) REFERENCES wirewatch.stories(id);

ALTER TABLE ONLY wirewatch.story_copies
    ADD CONSTRAINT story_copies_article_id_fkey FOREIGN KEY (article_id) REFERENCES wirewatch.articles(id) ON DELETE CASCADE;

ALTER TABLE ONLY wirewatch.story_copies
    ADD CONSTRAINT story_copies_matched_article_id_fkey FOREIGN KEY (matched_article_id) REFERENCES wirewatch.articles(id) ON DELETE SET NULL;

ALTER TABLE ONLY wirewatch.story_copies
    ADD CONSTRAINT story_copies_story_id_fkey FOREIGN KEY (story_id) REFERENCES wirewatch.stories(id);

ALTER TABLE ONLY wirewatch.warc_import_records
    ADD CONSTRAINT warc_import_records_file_key_fkey FOREIGN KEY (file_key) REFERENCES wirewatch.warc_imports(file_key) ON DELETE CASCADE;
