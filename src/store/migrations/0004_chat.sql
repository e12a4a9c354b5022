-- 0004_chat: web chat threads, their participants and messages, and the
-- chat configuration (bots and widgets as their JSON specs).

CREATE TABLE chat_objects (
    kind TEXT NOT NULL,          -- bots or chatWidgets
    id TEXT NOT NULL,
    spec TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);

-- One conversation. token_hash is the consumer's token (BLAKE2b); bot
-- holds the bot interpreter's state (JSON); last_seq the seq of its last
-- message, so a new message takes last_seq + 1 in the same transaction.
CREATE TABLE chat_threads (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    widget_id TEXT NOT NULL,
    state TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    bot_id TEXT,
    bot_state TEXT,
    fields TEXT NOT NULL DEFAULT '{}',
    queue_id TEXT,
    job_id TEXT,
    wait_stage TEXT NOT NULL DEFAULT '',   -- after no answer: offered, prompted
    waiting_since INTEGER,
    no_answer_at INTEGER,
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ended_at INTEGER
);
CREATE INDEX chat_threads_state ON chat_threads (state, created_at);
CREATE INDEX chat_threads_job ON chat_threads (job_id);

CREATE TABLE chat_participants (
    thread_id TEXT NOT NULL REFERENCES chat_threads (id) ON DELETE CASCADE,
    id TEXT NOT NULL,            -- consumer, bot, or the user id
    kind TEXT NOT NULL,          -- consumer, bot, agent, expert
    user_id TEXT,
    name TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    left_at INTEGER,
    read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (thread_id, id)
);
CREATE INDEX chat_participants_user ON chat_participants (user_id, left_at);

CREATE TABLE chat_messages (
    thread_id TEXT NOT NULL REFERENCES chat_threads (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,          -- text, system, edit, delete
    sender_id TEXT NOT NULL,
    sender_kind TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    text TEXT NOT NULL,
    data TEXT,                   -- JSON: quickReplies, system details
    ref_seq INTEGER,
    client_id TEXT,
    created_at INTEGER NOT NULL,
    edited_at INTEGER,
    deleted_at INTEGER,
    PRIMARY KEY (thread_id, seq)
);
-- A client that sends again after a reconnect names the same
-- clientMessageId: it gets the stored message, not a second one.
CREATE INDEX chat_messages_client ON chat_messages (thread_id, client_id);
