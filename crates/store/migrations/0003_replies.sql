-- kaibo-store schema, version 3: answers to the people who reported a mail (kaibo watch).
-- One row per reported mail (its SHA-256): claimed before the reply is sent, so a crash never
-- sends it twice. state: 'sending', 'sent', 'failed: why', 'skipped: why'.
CREATE TABLE replies (
    sha256   TEXT PRIMARY KEY,
    reporter TEXT NOT NULL,
    state    TEXT NOT NULL,
    at       INTEGER NOT NULL          -- Unix seconds
);
CREATE INDEX replies_reporter ON replies (reporter, at);
