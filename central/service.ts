// The meeting service: persisted meetings (repository) plus the live ones (routers and peers), and the
// admission rule shared by browsers and boxes.
import type { Logger } from 'pino';
import { RpcError } from '../media/ws-rpc.js';
import type { WorkerPool } from '../media/worker-pool.js';
import { LiveMeetings, type Meeting } from './meeting.js';
import { MeetingRepository, type MeetingRecord, type NewMeeting } from './repository.js';

export interface MeetingView extends MeetingRecord {
  link: string;
  participants: number;
}

export class CentralMeetings {
  readonly live: LiveMeetings;

  constructor(
    readonly repo: MeetingRepository,
    pool: WorkerPool,
    log: Logger,
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

  /** Checks code and password, then returns the live meeting (opening it if nobody is in yet). */
  async admit(code: string, password: string | undefined): Promise<Meeting> {
    const record = this.repo.byCode(code);
    if (!record) throw new RpcError('not_found', 'Không tìm thấy cuộc họp với mã này / no meeting with this code');
    if (!this.repo.checkPassword(record.id, password))
      throw new RpcError('bad_password', 'Sai mật khẩu cuộc họp / wrong meeting password');
    // A meeting whose last peer just left may be closing; open() then starts a fresh one.
    const m = await this.live.open(record);
    return m.isClosed ? this.live.open(record) : m;
  }

  private view(r: MeetingRecord): MeetingView {
    return { ...r, link: `/meet/${r.code}`, participants: this.live.get(r.id)?.peers.size ?? 0 };
  }
}
