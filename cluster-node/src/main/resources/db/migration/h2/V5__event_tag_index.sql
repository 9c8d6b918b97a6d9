-- serves: the read journal's eventsByTag poll (WHERE tag = ? AND ordering > ? AND ordering <= ?
-- ORDER BY ordering LIMIT ?), run by every projection several times a second. The plugin's schema
-- has only PRIMARY KEY(event_id, tag), so without this the poll reads every row of event_tag.
CREATE INDEX IF NOT EXISTS "event_tag_tag_event_id_idx" ON PUBLIC."event_tag"("tag", "event_id");
