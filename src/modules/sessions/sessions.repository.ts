import type { Tx } from '../../platform/db/uow.js';
import { exactInstantSql } from '../../platform/paging.js';
import type { SessionStatus } from './sessions.table.js';

export type SessionRow = {
  id: string;
  kind: 'text' | 'call';
  status: SessionStatus;
  patientId: string;
  clinicianId: string;
  funding: 'credits' | 'prepaid';
  appointmentId: string | null;
  consultationId: string | null;
  blockMinutes: number;
  activatedAt: Date | null;
  connectedAt: Date | null;
  ringExpiresAt: Date | null;
  endedAt: Date | null;
  endReason: string | null;
  blocksCharged: number;
  nextBlockAt: Date | null;
  createdAt: Date;
};

type Q = Pick<Tx, 'query'>;

const COLS = `id, kind, status, patient_id as "patientId", clinician_id as "clinicianId", funding,
  appointment_id as "appointmentId", consultation_id as "consultationId", block_minutes as "blockMinutes",
  activated_at as "activatedAt", connected_at as "connectedAt", ring_expires_at as "ringExpiresAt",
  ended_at as "endedAt", end_reason as "endReason", blocks_charged as "blocksCharged",
  next_block_at as "nextBlockAt", created_at as "createdAt"`;

export const sessionsRepository = {
  async insert(
    db: Q,
    s: Pick<
      SessionRow,
      | 'kind'
      | 'status'
      | 'patientId'
      | 'clinicianId'
      | 'funding'
      | 'appointmentId'
      | 'consultationId'
      | 'blockMinutes'
      | 'ringExpiresAt'
    > & { now: Date },
  ): Promise<SessionRow> {
    const r = await db.query<SessionRow>(
      `insert into sessions (kind, status, patient_id, clinician_id, funding, appointment_id, consultation_id,
         block_minutes, ring_expires_at, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) returning ${COLS}`,
      [
        s.kind,
        s.status,
        s.patientId,
        s.clinicianId,
        s.funding,
        s.appointmentId,
        s.consultationId,
        s.blockMinutes,
        s.ringExpiresAt,
        s.now,
      ],
    );
    return r.rows[0]!;
  },

  async findById(db: Q, id: string): Promise<SessionRow | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    return (await db.query<SessionRow>(`select ${COLS} from sessions where id = $1`, [id])).rows[0] ?? null;
  },

  async findForUpdate(db: Q, id: string): Promise<SessionRow | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    return (
      (await db.query<SessionRow>(`select ${COLS} from sessions where id = $1 for update`, [id])).rows[0] ??
      null
    );
  },

  /** One due session, locked; sessions another worker holds are skipped. */
  async claimDue(db: Q, now: Date): Promise<SessionRow | null> {
    const r = await db.query<SessionRow>(
      `select ${COLS} from sessions where next_block_at <= $1 order by next_block_at limit 1 for update skip locked`,
      [now],
    );
    return r.rows[0] ?? null;
  },

  /** Up to `limit` due sessions, locked; rows other workers hold are skipped. */
  async claimDueBatch(db: Q, now: Date, limit: number): Promise<SessionRow[]> {
    const r = await db.query<SessionRow>(
      `select ${COLS} from sessions where next_block_at <= $1 order by next_block_at limit $2 for update skip locked`,
      [now, limit],
    );
    return r.rows;
  },

  /** The tick's common case in one statement: blocks charged and the next timer of many sessions. */
  async updateBlocks(
    db: Q,
    rows: Array<{ id: string; blocksCharged: number; nextBlockAt: Date | null }>,
    now: Date,
  ) {
    if (rows.length === 0) return;
    await db.query(
      `update sessions s set blocks_charged = x.b, next_block_at = x.n, updated_at = $4
       from unnest($1::uuid[], $2::int[], $3::timestamptz[]) as x(id, b, n) where s.id = x.id`,
      [rows.map((r) => r.id), rows.map((r) => r.blocksCharged), rows.map((r) => r.nextBlockAt), now],
    );
  },

  async claimRingingExpired(db: Q, now: Date, limit: number): Promise<SessionRow[]> {
    const r = await db.query<SessionRow>(
      `select ${COLS} from sessions where status = 'RINGING' and ring_expires_at <= $1
       order by ring_expires_at limit $2 for update skip locked`,
      [now, limit],
    );
    return r.rows;
  },

  async update(
    db: Q,
    id: string,
    set: Partial<
      Pick<
        SessionRow,
        'status' | 'activatedAt' | 'connectedAt' | 'endedAt' | 'endReason' | 'blocksCharged' | 'nextBlockAt'
      >
    > & { now: Date },
  ): Promise<SessionRow> {
    const cols: string[] = [];
    const vals: unknown[] = [id];
    const map: Record<string, string> = {
      status: 'status',
      activatedAt: 'activated_at',
      connectedAt: 'connected_at',
      endedAt: 'ended_at',
      endReason: 'end_reason',
      blocksCharged: 'blocks_charged',
      nextBlockAt: 'next_block_at',
    };
    for (const [k, col] of Object.entries(map))
      if (k in set) {
        vals.push((set as Record<string, unknown>)[k]);
        cols.push(`${col} = $${vals.length}`);
      }
    vals.push(set.now);
    cols.push(`updated_at = $${vals.length}`);
    const r = await db.query<SessionRow>(
      `update sessions set ${cols.join(', ')} where id = $1 returning ${COLS}`,
      vals,
    );
    return r.rows[0]!;
  },

  async insertMessage(db: Q, m: { sessionId: string; senderId: string; body: string; now: Date }) {
    const r = await db.query<{
      id: string;
      sessionId: string;
      senderId: string;
      body: string;
      createdAt: Date;
    }>(
      `insert into session_messages (session_id, sender_id, body, created_at) values ($1, $2, $3, $4)
       returning id, session_id as "sessionId", sender_id as "senderId", body, created_at as "createdAt"`,
      [m.sessionId, m.senderId, m.body, m.now],
    );
    return r.rows[0]!;
  },

  /** Oldest first; `after` is the previous page's last (`cursorAt`, id), `cursorAt` exact to the microsecond. */
  async listMessages(db: Q, sessionId: string, limit: number, after?: { at: string; id: string }) {
    const r = await db.query<{
      id: string;
      sessionId: string;
      senderId: string;
      body: string;
      createdAt: Date;
      cursorAt: string;
    }>(
      `select id, session_id as "sessionId", sender_id as "senderId", body, created_at as "createdAt",
         ${exactInstantSql('created_at')} as "cursorAt"
       from session_messages where session_id = $1 ${after ? 'and (created_at, id) > ($3::timestamptz, $4::uuid)' : ''}
       order by created_at, id limit $2`,
      after ? [sessionId, limit, after.at, after.id] : [sessionId, limit],
    );
    return r.rows;
  },
};
