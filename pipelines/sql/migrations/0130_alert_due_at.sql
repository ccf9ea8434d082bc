-- When an alert queued now is due: now for immediate subscriptions, the end of
-- the current period for digests.  One definition for story alerts and edit
-- alerts (enqueue_alert, enqueue_edit_alert), so the two cannot drift apart.
CREATE FUNCTION alert_due_at(digest text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE digest
               WHEN 'hourly' THEN date_trunc('hour', now()) + interval '1 hour'
               WHEN 'daily' THEN date_trunc('day', now(), 'UTC') + interval '1 day'
               ELSE now()
           END
$$;
