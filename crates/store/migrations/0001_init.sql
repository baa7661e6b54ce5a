-- kaibo-store schema, version 1. Applied once, in one transaction, when PRAGMA user_version < 1.

-- Raw mails by content: the same bytes posted twice are stored once.
CREATE TABLE raw_mails (
    sha256  TEXT PRIMARY KEY,
    bytes   BLOB NOT NULL,
    stored  INTEGER NOT NULL          -- Unix seconds
);

-- One dissection of one raw mail. A rerun of the same mail is a new row.
CREATE TABLE analyses (
    id        TEXT PRIMARY KEY,
    sha256    TEXT NOT NULL,
    created   INTEGER NOT NULL,       -- Unix milliseconds
    subject   TEXT,
    sender    TEXT,
    verdict   TEXT NOT NULL,
    score     INTEGER NOT NULL,
    origin    TEXT NOT NULL,          -- how it came: upload, api, watch
    reporter  TEXT,                   -- who reported it (kaibo watch)
    dissection TEXT NOT NULL          -- the CLI's JSON (kaibo analyze --format json)
);
CREATE INDEX analyses_sha256 ON analyses (sha256);
CREATE INDEX analyses_created ON analyses (created);

-- What the mail points at. `strong` marks infrastructure that ties mails into a campaign.
CREATE TABLE indicators (
    analysis_id TEXT NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    strong      INTEGER NOT NULL
);
CREATE INDEX indicators_value ON indicators (kind, value);
CREATE INDEX indicators_analysis ON indicators (analysis_id);

-- Search over subject, sender, indicators and verdict. Trigrams find any substring of three
-- characters or more, Japanese included (no word segmentation needed).
CREATE VIRTUAL TABLE analyses_fts USING fts5 (
    id UNINDEXED, subject, sender, indicators, verdict, tokenize = 'trigram'
);
