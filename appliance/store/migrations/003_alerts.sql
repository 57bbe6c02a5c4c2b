-- Current and past alerts (issue 3: "a queryable list of current alerts, not only events").
CREATE TABLE alerts (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  key        TEXT NOT NULL,            -- e.g. device:cam1:offline; one active alert per key
  device     TEXT,
  severity   TEXT NOT NULL,            -- warning | error
  code       TEXT NOT NULL,
  message    TEXT NOT NULL,
  raised_at  INTEGER NOT NULL,
  cleared_at INTEGER
);
CREATE UNIQUE INDEX alerts_one_active_per_key ON alerts(key) WHERE cleared_at IS NULL;
