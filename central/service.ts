// The meeting service: persisted meetings (repository) plus the live ones (routers and peers), and the
// admission rule shared by browsers and boxes.
import type { Logger } from 'pino';
import { RpcError } from '../media/ws-rpc.js';
import type { WorkerPool } from '../media/worker-pool.js';
import { LiveMeetings, type Meeting } from './meeting.js';
import type { ChatRepository, MeetingRepository, MeetingRecord, NewMeeting } from './repository.js';
import type { Identity } from './meeting-control.js';
import type { LobbyEntry, MeetingRole } from './protocol.js';
import type { AuditEntry } from '../appliance/audit.js';

/** Who asks to join: name and unit (M6.2), the account or the box, and a chair PIN if they have one. */
export interface AdmitRequest extends Identity {
  chairPin?: string;
}

export interface Admission {
  meeting: Meeting;
  role: MeetingRole;
  /** Why the newcomer waits in the lobby (M5.3), or null when they are in. */
  wait: LobbyEntry['reason'] | null;
}

export interface MeetingView extends MeetingRecord {
  link: string;
  participants: number;
}

export class CentralMeetings {
  readonly live: LiveMeetings;
  /** Every chair action is audited at central (who, what, target, result); the plugin wires app.audit. */
  audit: (e: AuditEntry) => void = () => {};

  constructor(
    readonly repo: MeetingRepository,
    pool: WorkerPool,
    log: Logger,
    /** A6: the meeting chat, stored so that it survives a restart. */
    readonly chat: ChatRepository,
  ) {
    this.live = new LiveMeetings(pool, log);
  }

  create(m: NewMeeting): MeetingView {
    return this.view(this.repo.create(m));
  }

  list(): MeetingView[] {
    return this.repo.list().map((r) => this.view(r));
  }

  get(id: number): MeetingView | undefined {
    const r = this.repo.get(id);
    return r && this.view(r);
  }

  /** The live meeting with this code, if anybody is in it (tests look at its router and peers). */
  liveByCode(code: string): Meeting | undefined {
    const r = this.repo.byCode(code);
    return r ? this.live.get(r.id) : undefined;
  }

  /**
   * Checks code, chair PIN, lock and password, then returns the live meeting (opening it if nobody is in
   * yet), the newcomer's role and whether they wait in the lobby. Chairs — the creator, accounts with the
   * role chair, or whoever knows the chair PIN — pass the lock and the password and never wait.
   */
  async admit(code: string, password: string | undefined, who?: AdmitRequest): Promise<Admission> {
    const record = this.repo.byCode(code);
    if (!record) throw new RpcError('not_found', 'Không tìm thấy cuộc họp với mã này / no meeting with this code');
    let role: MeetingRole = 'participant';
    if (who?.user && (who.user.role === 'chair' || who.user.username === record.createdBy)) role = 'chair';
    else if (who?.chairPin) {
      if (!this.repo.checkChairPin(record.id, who.chairPin))
        throw new RpcError('bad_chair_pin', 'Sai mã chủ tọa / wrong chair PIN');
      role = 'chair';
    }
    if (role !== 'chair') {
      // A locked meeting takes nobody new; a box or an account that was already in it may reconnect.
      if (record.locked && !(who && this.live.get(record.id)?.control.wasMember(who)))
        throw new RpcError('locked', 'Cuộc họp đã khóa / the meeting is locked');
      if (!this.repo.checkPassword(record.id, password))
        throw new RpcError('bad_password', 'Sai mật khẩu cuộc họp / wrong meeting password');
    }
    // A meeting whose last peer just left may be closing; open() then starts a fresh one.
    let m = await this.live.open(record);
    if (m.isClosed) m = await this.live.open(record);
    const wait = role === 'chair' || !who ? null : m.control.waitReason(who);
    return { meeting: m, role, wait };
  }

  private view(r: MeetingRecord): MeetingView {
    return { ...r, link: `/meet/${r.code}`, participants: this.live.get(r.id)?.peers.size ?? 0 };
  }
}
