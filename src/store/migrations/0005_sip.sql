-- 0005_sip: SIP digest secrets and registrations.

-- A user's digest secrets for SIP (HA1 = MD5(user:realm:password)), kept
-- when a password is set: one for the login name, one for the extension
-- it had then. A SIP phone authenticates with either as the user name.
CREATE TABLE sip_secrets (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    realm TEXT NOT NULL,
    name_ha1 TEXT NOT NULL,
    extension TEXT,
    extension_ha1 TEXT,
    updated_at INTEGER NOT NULL
);

-- One row per registered contact of a user.
CREATE TABLE sip_registrations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    contact TEXT NOT NULL,
    source TEXT NOT NULL,
    transport TEXT NOT NULL,
    user_agent TEXT,
    call_id TEXT,
    cseq INTEGER,
    registered_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    UNIQUE (user_id, contact)
);
CREATE INDEX sip_registrations_expires ON sip_registrations (expires_at);
