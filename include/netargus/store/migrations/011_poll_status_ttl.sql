-- min-server-version: 20.3
-- 008's retention for poll_status again: 010 rebuilt the table, and a rebuilt table starts
-- without it. Skipped (and not recorded) on older servers; applied when the server is upgraded.
ALTER TABLE poll_status MODIFY TTL interval_end + toIntervalDay(400);
