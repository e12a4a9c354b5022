-- 0008_voice: the phone system's configuration (trunks and numbers) as
-- their JSON specs, like chat_objects.
CREATE TABLE voice_objects (
    kind TEXT NOT NULL,          -- trunks or numbers
    id TEXT NOT NULL,            -- the trunk's name, the number
    spec TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);

-- The trunk a call came in by or went out through.
ALTER TABLE calls ADD COLUMN trunk TEXT;
