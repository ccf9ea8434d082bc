-- A listing's state belongs to the source configuration it was read with
-- (issue 15): when a source's kind, URLs or `follow` change, what was read
-- with the old ones says nothing about what the new ones find (a section page
-- answering 304 would hide the links a new `follow` now accepts).  NULL: saved
-- before this column existed, taken as still valid.

ALTER TABLE listing_state ADD COLUMN source_config text;
