-- Alerts on edits (issue 17, part 3): a subscription may opt in to one more
-- message whenever the canonical copy of a story it already alerted on is
-- edited (a new revision, migration 0100).
--
-- on_edit: NULL (no edit alerts), 'headline' (a changed headline) or
-- 'substantive' (a changed headline, or a text edit above the threshold of
-- pipelines.alerts.edits.substantive).
ALTER TABLE alert_subscriptions ADD COLUMN on_edit text
    CHECK (on_edit IN ('headline', 'substantive'));

-- Edit alerts travel through the same outbox (delivery, retries, attempts,
-- `alerts retry`) as story alerts.  A story alert has article_id and revision
-- NULL; an edit alert names the revision of the canonical copy it announces.
ALTER TABLE alert_outbox
    ADD COLUMN article_id bigint,
    ADD COLUMN revision integer,
    ADD CONSTRAINT alert_outbox_edit_shape CHECK ((article_id IS NULL) = (revision IS NULL)),
    ADD CONSTRAINT alert_outbox_revision_fkey FOREIGN KEY (article_id, revision)
        REFERENCES article_revisions (article_id, revision) ON DELETE CASCADE;

-- "Once per story" becomes once per (subscription, story) for story alerts and
-- once per (subscription, revision) for edit alerts: the unique keys that make
-- a crash, a retry or a re-run of the storing transaction queue nothing twice.
-- The second index also serves the foreign key when revisions are deleted.
ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_subscription_id_story_id_key;
CREATE UNIQUE INDEX alert_outbox_story_alert ON alert_outbox (subscription_id, story_id)
    WHERE revision IS NULL;
CREATE UNIQUE INDEX alert_outbox_edit_alert ON alert_outbox (article_id, revision, subscription_id)
    WHERE revision IS NOT NULL;
