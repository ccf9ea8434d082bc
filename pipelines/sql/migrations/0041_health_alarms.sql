-- Drift alarms currently raised, so the operator is emailed once per alarm
-- (not on every check, and not again after a restart).

CREATE TABLE health_alarms (
    source       text NOT NULL,
    kind         text NOT NULL,  -- failing, yield_drop, body_drop, silent
    message      text NOT NULL,
    raised_at    timestamptz NOT NULL DEFAULT now(),
    notified_at  timestamptz,
    PRIMARY KEY (source, kind)
);
