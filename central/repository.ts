// Central's storage behind small repositories (DESIGN.md §9: a PostgreSQL implementation replaces this
// file, not its callers). Meeting passwords are scrypt-hashed; box tokens are random 32 bytes kept only as
// SHA-256 (they carry enough entropy that a slow hash adds nothing).
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import { hashPassword, verifyPassword } from '../appliance/auth.js';

export interface MeetingRecord {
  id: number;
  code: string;
  title: string;
  hasPassword: boolean;
  startsAt: number | null;
  createdBy: string;
  createdAt: number;
}

export interface NewMeeting {
  title: string;
  code?: string;
  password?: string;
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
}

const toRecord = (r: MeetingRow): MeetingRecord => ({
  id: r.id,
  code: r.code,
  title: r.title,
  hasPassword: r.password_hash !== null,
  startsAt: r.starts_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

export class CodeTakenError extends Error {
  readonly code = 'code_taken';
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class MeetingRepository {
  constructor(private readonly db: Database.Database) {}

  create(m: NewMeeting): MeetingRecord {
    const hash = m.password ? hashPassword(m.password) : null;
    const insert = this.db.prepare(
      'INSERT INTO meetings (code, title, password_hash, starts_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // A generated code is 9 digits (easy on a keypad); retry on the rare collision.
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = m.code ?? String(randomInt(100_000_000, 1_000_000_000));
      if (this.byCode(code)) {
        if (m.code) throw new CodeTakenError(`Mã cuộc họp ${code} đã được dùng / meeting code already in use`);
        continue;
      }
      const r = insert.run(code, m.title, hash, m.startsAt ?? null, m.createdBy, Date.now());
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
