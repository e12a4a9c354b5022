-- 0010_voicemail: voicemail messages and personal voicemail PINs.
-- A box is a shared box's id (configuration kind voicemailBoxes, kept in
-- voice_objects) or, for a personal box, its user's id (usr_...): every
-- user with an extension has one. A message's audio is the file
-- DATA/voicemail/BOX/ID.wav; a row exists only once that file is complete.
CREATE TABLE voicemail_messages (
    id TEXT PRIMARY KEY,
    box TEXT NOT NULL,
    caller TEXT,                        -- the caller's number or SIP user
    call_id TEXT,
    created_at INTEGER NOT NULL,        -- ms since epoch
    duration_ms INTEGER NOT NULL,
    file TEXT NOT NULL,                 -- relative to DATA: voicemail/BOX/ID.wav
    state TEXT NOT NULL DEFAULT 'new',  -- new or saved
    is_read INTEGER NOT NULL DEFAULT 0,
    heard_at INTEGER
);
CREATE INDEX voicemail_messages_box ON voicemail_messages (box, created_at);

-- A user's PIN for their personal box by phone (*98): an argon2id hash only.
CREATE TABLE voicemail_pins (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    pin_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
