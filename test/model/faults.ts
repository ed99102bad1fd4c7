import type { Pool } from '../../src/platform/db/pool.js';

/**
 * Where the model makes a real fault happen, keyed by the sandbox checkout it concerns:
 * - `webhook-receive`: our webhook endpoint fails before it claims the event (a 500; the gateway
 *   retries). Armed 9 times it outlasts the sandbox's 9 delivery attempts: a dropped delivery.
 * - `webhook-commit`: the endpoint's transaction fails after the ledger write, when it marks the
 *   event processed (money.md: a crash between the two, then a redelivery -> one credit).
 * - `refund-gateway`: the gateway's refund call fails (a 5xx before it refunds anything).
 * - `refund-record`: the gateway refunded, but recording it fails (a lost reply): the job retries
 *   with the same idempotency key and must not refund twice.
 * Each is a PostgreSQL exception raised by a trigger, so the app's own code runs unchanged and
 * rolls back as it would on a real outage. Counts live in sequences, which a rollback does not undo.
 */
export type FaultPoint = 'webhook-receive' | 'webhook-commit' | 'refund-gateway' | 'refund-record';

export async function installFaults(pool: Pool): Promise<void> {
  await pool.query(`
    create table model_faults (checkout_id text not null, point text not null, times int not null, seq text not null);
    create sequence model_fault_ids;
    create sequence model_faults_fired;
    create function model_fault(checkout text, at text) returns void as $$
    declare f record;
    begin
      for f in select * from model_faults where checkout_id = checkout and point = at loop
        if nextval(f.seq::regclass) <= f.times then
          perform nextval('model_faults_fired');
          raise exception 'model fault: % at %', at, checkout;
        end if;
      end loop;
    end $$ language plpgsql;

    create function model_webhook_fault() returns trigger as $$
    begin
      perform model_fault(new.payload->'data'->>'checkoutId',
        case when tg_op = 'INSERT' then 'webhook-receive' else 'webhook-commit' end);
      return new;
    end $$ language plpgsql;
    create trigger model_webhook_fault before insert or update on webhook_events
      for each row execute function model_webhook_fault();

    create function model_refund_gateway_fault() returns trigger as $$
    begin
      perform model_fault(new.id, 'refund-gateway');
      return new;
    end $$ language plpgsql;
    create trigger model_refund_gateway_fault before update of refunded_minor on sandbox_checkouts
      for each row when (new.refunded_minor <> old.refunded_minor)
      execute function model_refund_gateway_fault();

    create function model_refund_record_fault() returns trigger as $$
    begin
      perform model_fault((select order_id from payments where id = new.payment_id), 'refund-record');
      return new;
    end $$ language plpgsql;
    create trigger model_refund_record_fault before update of status on refunds
      for each row when (old.status = 'PENDING' and new.status = 'PROCESSED')
      execute function model_refund_record_fault();`);
}

/** The next `times` passes through `point` for this checkout fail. */
export async function armFault(pool: Pool, checkoutId: string, point: FaultPoint, times = 1): Promise<void> {
  const { rows } = await pool.query<{ n: string }>(`select nextval('model_fault_ids') as n`);
  const seq = `model_fault_${rows[0]!.n}`;
  await pool.query(`create sequence ${seq}`);
  await pool.query('insert into model_faults values ($1, $2, $3, $4)', [checkoutId, point, times, seq]);
}

/** How many times an armed fault has fired so far. */
export async function faultsFired(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'select case when is_called then last_value else 0 end::int as n from model_faults_fired',
  );
  return rows[0]!.n;
}

/**
 * Failed attempts of money jobs (payments.*, booking.*) so far: pg-boss keeps each job's row, with
 * `retry_count` retries started, and a job that failed last is in `retry` or `failed`.
 */
export async function failedJobAttempts(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select coalesce(sum(retry_count + case when state in ('retry', 'failed') then 1 else 0 end), 0)::int as n
       from pgboss.job where name like 'payments.%' or name like 'booking.%'`,
  );
  return rows[0]!.n;
}
