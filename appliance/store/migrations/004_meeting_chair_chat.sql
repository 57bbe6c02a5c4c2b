-- The chair's controls and the meeting chat (F5, A1, A6, M5.3). The chair PIN (host key) is scrypt-hashed like
-- the meeting password; `invited` is a JSON array of names/units admitted without waiting; `lobby` = 1 makes
-- everybody but a chair wait; `locked` = 1 refuses new joins (kept here so a lock outlives a live meeting).
ALTER TABLE meetings ADD COLUMN chair_pin_hash TEXT;
ALTER TABLE meetings ADD COLUMN invited TEXT NOT NULL DEFAULT '[]';
ALTER TABLE meetings ADD COLUMN lobby INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;

CREATE TABLE meeting_chat (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
  peer_id     TEXT,
  from_name   TEXT NOT NULL,             -- the display name at the time of writing (M6.2)
  unit        TEXT,
  username    TEXT,                      -- the account, when the sender signed in
  text        TEXT NOT NULL,
  time        INTEGER NOT NULL           -- epoch ms
);
CREATE INDEX meeting_chat_by_meeting ON meeting_chat(meeting_id, id);
