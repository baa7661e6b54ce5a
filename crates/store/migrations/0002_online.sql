-- kaibo-store schema, version 2: the state of an analysis's online rungs.
-- NULL: none asked; 'pending:dns,rdap': running; 'done:dns,rdap'; 'failed: why'; 'interrupted'
-- (the server stopped before they finished).
ALTER TABLE analyses ADD COLUMN online TEXT;
