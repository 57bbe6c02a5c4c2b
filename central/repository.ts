// Central's storage behind small repositories (DESIGN.md §9: a PostgreSQL implementation replaces this
// file, not its callers). Meeting passwords are scrypt-hashed; box tokens are random 32 bytes kept only as
// SHA-256 (they carry enough entropy that a slow hash adds nothing).
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import { hashPassword, verifyPassword } from '../appliance/auth.js';
import type { ChatMessage } from './protocol.js';

export interface MeetingRecord {
  id: number;
  code: string;
  title: string;
  hasPassword: boolean;
  startsAt: number | null;
  createdBy: string;
  createdAt: number;
  hasChairPin: boolean;
  /** Names/units admitted without waiting (M5.3); empty = everybody. */
  invited: string[];
  /** Everybody but a chair waits in the lobby. */
  lobby: boolean;
  locked: boolean;
}

export interface NewMeeting {
  title: string;
  code?: string;
  password?: string;
  /** The chair PIN (host key); stored scrypt-hashed like the password. */
  chairPin?: string;
  invited?: string[];
  lobby?: boolean;
  startsAt?: number | null;
  createdBy: string;
}

interface MeetingRow {
  id: number;
  code: string;
  title: string;
  password_hash: string | null;
  starts_at: number | null;
  created_by: string;
  created_at: number;
  chair_pin_hash: string | null;
  invited: string;
  lobby: number;
  locked: number;
}

function parseInvited(raw: string): string[] {
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

const toRecord = (r: MeetingRow): MeetingRecord => ({
  id: r.id,
  code: r.code,
  title: r.title,
  hasPassword: r.password_hash !== null,
  startsAt: r.starts_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
  hasChairPin: r.chair_pin_hash !== null,
  invited: parseInvited(r.invited),
  lobby: r.lobby === 1,
  locked: r.locked === 1,
});

export class CodeTakenError extends Error {
  readonly code = 'code_taken';
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class MeetingRepository {
  constructor(private readonly db: Database.Database) {}

  create(m: NewMeeting): MeetingRecord {
    const hash = m.password ? hashPassword(m.password) : null;
    const pinHash = m.chairPin ? hashPassword(m.chairPin) : null;
    const invited = JSON.stringify((m.invited ?? []).map((x) => x.trim()).filter(Boolean));
    const insert = this.db.prepare(
      `INSERT INTO meetings (code, title, password_hash, starts_at, created_by, created_at, chair_pin_hash, invited, lobby)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // A generated code is 9 digits (easy on a keypad); retry on the rare collision.
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = m.code ?? String(randomInt(100_000_000, 1_000_000_000));
      if (this.byCode(code)) {
        if (m.code) throw new CodeTakenError(`Mã cuộc họp ${code} đã được dùng / meeting code already in use`);
        continue;
      }
      const r = insert.run(code, m.title, hash, m.startsAt ?? null, m.createdBy, Date.now(), pinHash, invited, m.lobby ? 1 : 0);
      return this.get(Number(r.lastInsertRowid))!;
    }
    throw new Error('could not find a free meeting code');
  }

  list(): MeetingRecord[] {
    return (this.db.prepare('SELECT * FROM meetings ORDER BY id DESC LIMIT 500').all() as MeetingRow[]).map(toRecord);
  }

  get(id: number): MeetingRecord | undefined {
    const r = this.db.prepare('SELECT * FROM meetings WHERE id = ?').get(id) as MeetingRow | undefined;
    return r && toRecord(r);
  }

  byCode(code: string): MeetingRecord | undefined {
    const r = this.db.prepare('SELECT * FROM meetings WHERE code = ?').get(code) as MeetingRow | undefined;
    return r && toRecord(r);
  }

  /** True when the meeting has no password, or the given one matches. */
  checkPassword(id: number, password: string | undefined): boolean {
    const r = this.db.prepare('SELECT password_hash FROM meetings WHERE id = ?').get(id) as { password_hash: string | null } | undefined;
    if (!r) return false;
    if (r.password_hash === null) return true;
    return typeof password === 'string' && password.length > 0 && verifyPassword(password, r.password_hash);
  }

  /** True only when the meeting has a chair PIN and the given one matches. */
  checkChairPin(id: number, pin: string | undefined): boolean {
    const r = this.db.prepare('SELECT chair_pin_hash FROM meetings WHERE id = ?').get(id) as { chair_pin_hash: string | null } | undefined;
    if (!r || r.chair_pin_hash === null) return false;
    return typeof pin === 'string' && pin.length > 0 && verifyPassword(pin, r.chair_pin_hash);
  }

  setLocked(id: number, locked: boolean): void {
    this.db.prepare('UPDATE meetings SET locked = ? WHERE id = ?').run(locked ? 1 : 0, id);
  }

  setLobby(id: number, lobby: boolean): void {
    this.db.prepare('UPDATE meetings SET lobby = ? WHERE id = ?').run(lobby ? 1 : 0, id);
  }

  /** A new password (scrypt-hashed), or null for none. */
  setPassword(id: number, password: string | null): void {
    this.db.prepare('UPDATE meetings SET password_hash = ? WHERE id = ?').run(password ? hashPassword(password) : null, id);
  }
}

interface ChatRow {
  id: number;
  peer_id: string | null;
  from_name: string;
  unit: string | null;
  text: string;
  time: number;
}

/** A6: the meeting chat, kept in the store so that it survives a restart. */
export class ChatRepository {
  constructor(private readonly db: Database.Database) {}

  add(meetingId: number, m: { peerId?: string; from: string; unit?: string; username?: string; text: string }): ChatMessage {
    const time = Date.now();
    const r = this.db
      .prepare('INSERT INTO meeting_chat (meeting_id, peer_id, from_name, unit, username, text, time) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(meetingId, m.peerId ?? null, m.from, m.unit ?? null, m.username ?? null, m.text, time);
    return { id: Number(r.lastInsertRowid), from: m.from, ...(m.unit ? { unit: m.unit } : {}), ...(m.peerId ? { peerId: m.peerId } : {}), text: m.text, time };
  }

  /** The last `limit` messages of a meeting, oldest first. */
  list(meetingId: number, limit = 500): ChatMessage[] {
    const rows = this.db
      .prepare('SELECT id, peer_id, from_name, unit, text, time FROM meeting_chat WHERE meeting_id = ? ORDER BY id DESC LIMIT ?')
      .all(meetingId, limit) as ChatRow[];
    return rows.reverse().map((r) => ({
      id: r.id,
      from: r.from_name,
      ...(r.unit ? { unit: r.unit } : {}),
      ...(r.peer_id ? { peerId: r.peer_id } : {}),
      text: r.text,
      time: r.time,
    }));
  }
}

export class BoxRepository {
  constructor(private readonly db: Database.Database) {}

  /** Creates the box or rotates its token; the returned token is shown once and never stored. */
  register(boxId: string, name: string): string {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO central_boxes (box_id, name, token_hash, created_at, rotated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(box_id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash, rotated_at = excluded.rotated_at`,
      )
      .run(boxId, name, sha256(token), now, now);
    return token;
  }

  verify(token: string | null | undefined): { boxId: string; name: string } | null {
    if (!token) return null;
    const r = this.db.prepare('SELECT box_id, name FROM central_boxes WHERE token_hash = ?').get(sha256(token)) as
      | { box_id: string; name: string }
      | undefined;
    return r ? { boxId: r.box_id, name: r.name } : null;
  }
}
