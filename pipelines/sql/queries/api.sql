-- The Python API (wirewatch.connect()): reads through the documented views.

-- name: api_latest_stories
-- The newest stories that were not folded into another one.
SELECT * FROM wirewatch_feed.stories
WHERE merged_into IS NULL
ORDER BY first_seen DESC, story_id DESC
LIMIT %(limit)s;
