-- WARC imports: claims and checkpoints (pipelines/warc_import.py).

-- name: ensure_import_source
-- A source only imports use; an existing source of that name is left as it is.
INSERT INTO sources (name, kind, urls)
VALUES (%(name)s, 'import', '{}')
ON CONFLICT (name) DO NOTHING;

-- name: register_warc_file
INSERT INTO warc_imports (file_key, location, source)
VALUES (%(file_key)s, %(location)s, %(source)s)
ON CONFLICT (file_key) DO NOTHING;

-- name: try_lock_warc_file
SELECT pg_try_advisory_lock(%(lock_id)s) AS locked;

-- name: unlock_warc_file
SELECT pg_advisory_unlock(%(lock_id)s) AS unlocked;

-- name: claim_warc_file
-- Called while holding the file's advisory lock; nothing when it is done.
UPDATE warc_imports
SET status = 'working', claimed_by = %(importer)s, location = %(location)s,
    started_at = COALESCE(started_at, now())
WHERE file_key = %(file_key)s AND status <> 'done'
RETURNING next_offset, records_done, counts;

-- name: checkpoint_warc_file
-- Every record before next_offset is handled; no row when the claim was lost.
UPDATE warc_imports
SET next_offset = %(next_offset)s, records_done = %(records_done)s, counts = %(counts)s,
    checkpoint_at = now()
WHERE file_key = %(file_key)s AND claimed_by = %(importer)s AND status = 'working'
RETURNING file_key;

-- name: finish_warc_file
UPDATE warc_imports
SET status = 'done', next_offset = %(next_offset)s, records_done = %(records_done)s,
    counts = %(counts)s, checkpoint_at = now(), finished_at = now()
WHERE file_key = %(file_key)s AND claimed_by = %(importer)s AND status = 'working'
RETURNING file_key;

-- name: warc_file_state
SELECT file_key, location, source, status, claimed_by, next_offset, records_done, counts,
       started_at, finished_at
FROM warc_imports WHERE file_key = %(file_key)s;

-- name: mark_warc_record
-- In the transaction of the stored article; no row when the claim was lost.
INSERT INTO warc_import_records (file_key, ordinal, kind)
SELECT %(file_key)s, %(ordinal)s, %(kind)s
WHERE EXISTS (SELECT 1 FROM warc_imports
              WHERE file_key = %(file_key)s AND claimed_by = %(importer)s AND status = 'working')
RETURNING ordinal;

-- name: marked_warc_records
SELECT ordinal, kind FROM warc_import_records
WHERE file_key = %(file_key)s AND ordinal > %(records_done)s;

-- name: forget_warc_records
-- The marks a checkpoint now covers.
DELETE FROM warc_import_records WHERE file_key = %(file_key)s AND ordinal <= %(records_done)s;
