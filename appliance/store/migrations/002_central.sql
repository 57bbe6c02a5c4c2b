-- Central meeting service (DESIGN.md §3, §6): meetings and the boxes allowed to join them.
CREATE TABLE meetings (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  code           TEXT NOT NULL UNIQUE,     -- what people type or click (/meet/<code>)
  title          TEXT NOT NULL,
  password_hash  TEXT,                     -- scrypt$N$r$p$salt$hash; NULL = no password
  starts_at      INTEGER,                  -- epoch ms, optional
  created_by     TEXT NOT NULL,
  created_at     INTEGER NOT NULL
);

CREATE TABLE central_boxes (
  box_id      TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  token_hash  TEXT NOT NULL UNIQUE,        -- sha256 of the box's bearer token; the token itself is never stored
  created_at  INTEGER NOT NULL,
  rotated_at  INTEGER NOT NULL
);
