import type { Pool } from '../../src/platform/db/pool.js';

/**
 * Crashes for the billing model: a trigger raises inside the app's own transaction, so the code runs
 * unchanged and rolls back as on a real outage. A session update (after its block charges were written)
 * or a ledger transfer whose key starts with an armed prefix fails while armed.
 */
export async function installCrashes(pool: Pool) {
  await pool.query(`
    create table model_crash (target text primary key);
    create function model_crash_session() returns trigger as $$
    begin
      if exists (select 1 from model_crash where target = new.id::text) then
        raise exception 'model crash: session %', new.id;
      end if;
      return new;
    end $$ language plpgsql;
    create trigger model_crash_session before update on sessions for each row execute function model_crash_session();
    create function model_crash_transfer() returns trigger as $$
    begin
      if exists (select 1 from model_crash where new.idempotency_key like target || '%') then
        raise exception 'model crash: transfer %', new.idempotency_key;
      end if;
      return new;
    end $$ language plpgsql;
    create trigger model_crash_transfer before insert on ledger_transfers for each row execute function model_crash_transfer();`);
}

export async function withCrash<T>(pool: Pool, target: string, fn: () => Promise<T>) {
  await pool.query('insert into model_crash values ($1) on conflict do nothing', [target]);
  try {
    return await fn();
  } finally {
    await pool.query('delete from model_crash where target = $1', [target]);
  }
}
