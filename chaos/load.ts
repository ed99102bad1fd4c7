/** The chaos run's virtual patients: each books, pays (or not), and sometimes cancels or reschedules. */
import type pg from 'pg';
import { SANDBOX_SIGNATURE_HEADER, signSandboxPayload } from '../src/modules/payments/gateways/sandbox.js';

export type LoadStats = {
  requests: number;
  statuses: Record<string, number>;
  initiated: number;
  conflicts: number;
  paidInHold: number;
  paidLate: number;
  failed: number;
  abandoned: number;
  duplicates: number;
  cancelled: number;
  rescheduled: number;
  /** Appointments a patient was shown as CONFIRMED, with what must be true of them at the end. */
  acknowledged: Map<string, 'CONFIRMED' | 'CANCELLED'>;
  /** Payments whose Pay click was answered well inside the hold. */
  paidInHoldIds: Set<string>;
};

type Slot = { startAt: string; mode: string; centreId: string | null; status: string };
type Patient = { id: string; token: string };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;

export async function runLoad(opts: {
  baseUrl: string;
  patients: Patient[];
  seconds: number;
  webhookSecret: string;
  pool: pg.Pool;
}): Promise<LoadStats> {
  const stats: LoadStats = {
    requests: 0,
    statuses: {},
    initiated: 0,
    conflicts: 0,
    paidInHold: 0,
    paidLate: 0,
    failed: 0,
    abandoned: 0,
    duplicates: 0,
    cancelled: 0,
    rescheduled: 0,
    acknowledged: new Map(),
    paidInHoldIds: new Set(),
  };
  const base = opts.baseUrl;

  async function http(method: string, p: string, body?: unknown, token?: string) {
    stats.requests++;
    try {
      const res = await fetch(base + p, {
        method,
        redirect: 'manual',
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(20_000),
      });
      stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
      const text = await res.text();
      let json: any = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {}
      return { status: res.status, json };
    } catch {
      stats.statuses.network = (stats.statuses.network ?? 0) + 1;
      return { status: 0, json: null };
    }
  }

  const until = Date.now() + opts.seconds * 1000;
  let clinicians: Array<{ id: string }> = [];
  while (clinicians.length === 0 && Date.now() < until) {
    const r = await http('GET', '/api/clinicians');
    if (r.status === 200) clinicians = r.json;
    else await sleep(500);
  }
  // A few clinicians only, and the first free slots of a few days: patients race for them.
  const hot = clinicians.slice(0, 3);
  const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
  async function freeSlots(clinicianId: string): Promise<Slot[]> {
    const r = await http('GET', `/api/clinicians/${clinicianId}/slots?from=${day(2)}&to=${day(4)}`);
    return r.status === 200 ? (r.json.slots as Slot[]).filter((s) => s.status === 'available') : [];
  }

  const late: Promise<void>[] = [];

  async function pay(orderId: string, button: 'pay' | 'fail') {
    return (await http('POST', `/sandbox/checkout/${orderId}/${button}`)).status === 303;
  }

  /** The gateway sends the same event again, three times at once (same id, signed afresh). */
  async function redeliver(orderId: string) {
    const { rows } = await opts.pool.query<{ data: { eventId: string; type: string } }>(
      `select data from pgboss.job where name = 'payments.sandbox-deliver' and data->>'checkoutId' = $1 limit 1`,
      [orderId],
    );
    const co = (await opts.pool.query('select * from sandbox_checkouts where id = $1', [orderId])).rows[0];
    if (!rows[0] || !co) return;
    const created = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      id: rows[0].data.eventId,
      type: rows[0].data.type,
      created,
      data: {
        checkoutId: co.id,
        paymentRef: co.payment_ref ?? undefined,
        amountMinor: co.amount_minor,
        currency: co.currency,
      },
    });
    await Promise.all(
      [1, 2, 3].map(async () => {
        stats.duplicates++;
        stats.requests++;
        const res = await fetch(`${base}/api/payment/webhook/sandbox`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SANDBOX_SIGNATURE_HEADER]: signSandboxPayload(opts.webhookSecret, body, created),
          },
          body,
        }).catch(() => null);
        const key = res ? String(res.status) : 'network';
        stats.statuses[key] = (stats.statuses[key] ?? 0) + 1;
      }),
    );
  }

  async function waitConfirmed(p: Patient, appointmentId: string): Promise<boolean> {
    for (let i = 0; i < 60; i++) {
      const r = await http('GET', `/api/patient-dashboard/appointments/${appointmentId}`, undefined, p.token);
      if (r.status === 200 && r.json.status === 'CONFIRMED') return true;
      if (r.status === 200 && r.json.status !== 'PENDING_PAYMENT') return false;
      await sleep(500);
    }
    return false;
  }

  async function user(p: Patient) {
    while (Date.now() < until) {
      const clinician = pick(hot);
      const slots = (await freeSlots(clinician.id)).slice(0, 8);
      if (slots.length === 0) {
        await sleep(300);
        continue;
      }
      const slot = pick(slots);
      const r = await http(
        'POST',
        '/api/booking/initiate',
        {
          clinicianId: clinician.id,
          startAt: slot.startAt,
          mode: slot.mode,
          ...(slot.centreId ? { centreId: slot.centreId } : {}),
        },
        p.token,
      );
      if (r.status === 409) stats.conflicts++;
      if (r.status !== 201 || !r.json.payment) continue;
      stats.initiated++;
      const appointmentId: string = r.json.appointment.id;
      const { paymentId, orderId, expiresAt } = r.json.payment as {
        paymentId: string;
        orderId: string;
        expiresAt: string;
      };
      const roll = Math.random();
      if (roll < 0.55) {
        if (!(await pay(orderId, 'pay'))) continue;
        if (Date.now() < Date.parse(expiresAt) - 2_000) {
          stats.paidInHold++;
          stats.paidInHoldIds.add(paymentId);
        }
        if (Math.random() < 0.25) await redeliver(orderId);
        if (!(await waitConfirmed(p, appointmentId))) continue;
        stats.acknowledged.set(appointmentId, 'CONFIRMED');
        const next = Math.random();
        if (next < 0.15) {
          const c = await http(
            'POST',
            `/api/patient-dashboard/appointments/${appointmentId}/cancel`,
            {},
            p.token,
          );
          if (c.status === 200) {
            stats.cancelled++;
            stats.acknowledged.set(appointmentId, 'CANCELLED');
          }
        } else if (next < 0.3) {
          const other = (await freeSlots(clinician.id)).find(
            (s) => s.mode === slot.mode && s.startAt !== slot.startAt,
          );
          if (other) {
            const m = await http(
              'POST',
              `/api/appointments/${appointmentId}/reschedule`,
              { startAt: other.startAt },
              p.token,
            );
            if (m.status === 200) {
              stats.rescheduled++;
              stats.acknowledged.delete(appointmentId);
              stats.acknowledged.set(m.json.appointment.id, 'CONFIRMED');
            }
          }
        }
      } else if (roll < 0.67) {
        if (await pay(orderId, 'fail')) stats.failed++;
      } else if (roll < 0.77) {
        // Paid after the hold lapsed: late money, refunded or honoured, once.
        late.push(
          sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 3_000).then(async () => {
            if (await pay(orderId, 'pay')) stats.paidLate++;
          }),
        );
      } else {
        stats.abandoned++;
      }
    }
  }

  await Promise.all(opts.patients.map(user));
  await Promise.all(late);
  return stats;
}
