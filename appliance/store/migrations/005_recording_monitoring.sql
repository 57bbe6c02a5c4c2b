-- Recording (A5, M6.3) and connection-quality monitoring (A4, M9.2, C2).

-- One recording run of a meeting: started with the chair's consent, captured in segments under
-- <data>/recordings/work/<session>/, composed into the final files when it stops.
CREATE TABLE recording_sessions (
  id          TEXT PRIMARY KEY,              -- random id; also the work directory's name
  meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
  started_at  INTEGER NOT NULL,              -- epoch ms
  started_by  TEXT NOT NULL,
  ended_at    INTEGER,
  stopped_by  TEXT,
  with_video  INTEGER NOT NULL DEFAULT 1,    -- 0 = audio only (the starter may not record video, A1)
  status      TEXT NOT NULL,                 -- recording | finalizing | done | failed | empty
  error       TEXT
);
CREATE INDEX recording_sessions_by_meeting ON recording_sessions(meeting_id, started_at);

-- The finished files, one row each; kept `retention` days, then the file is deleted and the row marked.
CREATE TABLE recordings (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id   TEXT NOT NULL REFERENCES recording_sessions(id),
  meeting_id   INTEGER NOT NULL REFERENCES meetings(id),
  kind         TEXT NOT NULL,                -- av (WebM VP8/Opus) | audio (Ogg Opus)
  file         TEXT NOT NULL,                -- file name under <data>/recordings/
  mime         TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  sha256       TEXT NOT NULL,                -- hex, of the file as written
  started_at   INTEGER NOT NULL,
  ended_at     INTEGER NOT NULL,
  duration_ms  INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  purged_at    INTEGER                       -- set when retention removed the file
);
CREATE INDEX recordings_by_meeting ON recordings(meeting_id, id);
CREATE INDEX recordings_for_purge ON recordings(ended_at) WHERE purged_at IS NULL;

-- Connection quality per endpoint, sampled every few seconds from mediasoup's statistics.
CREATE TABLE quality_samples (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  time         INTEGER NOT NULL,             -- epoch ms
  meeting_id   INTEGER NOT NULL,
  peer_id      TEXT NOT NULL,
  endpoint     TEXT NOT NULL,                -- the endpoint's name at that time (M6.2)
  unit         TEXT,
  kind         TEXT NOT NULL,                -- room | browser
  bitrate_in   INTEGER NOT NULL,             -- bit/s, endpoint → server
  bitrate_out  INTEGER NOT NULL,             -- bit/s, server → endpoint
  rtt_ms       REAL,                         -- NULL when no RTCP report told it yet
  loss_pct     REAL,                         -- worst direction, over the sampling interval
  loss_in_pct  REAL,                         -- endpoint → server (its uplink)
  loss_out_pct REAL,                         -- server → endpoint (its downlink, from its receiver reports)
  jitter_ms    REAL,                         -- of the endpoint's incoming streams
  score        INTEGER                       -- mediasoup's 0–10 score, worst stream
);
CREATE INDEX quality_samples_by_peer ON quality_samples(peer_id, time);
CREATE INDEX quality_samples_by_meeting ON quality_samples(meeting_id, time);
CREATE INDEX quality_samples_by_time ON quality_samples(time);
