import { describe, expect, test } from 'vitest';
import {
  actor,
  billingOf,
  billingSceneForFile,
  checkLedgerInvariants,
} from '../../../test/billing/support.js';

const scene = billingSceneForFile();

const account = (ownerId: string | null, kind = 'patient_credits' as const, ref = 'test') => ({
  kind,
  ownerId,
  ref,
  currency: 'CREDIT_TEXT',
});

describe('ledger', () => {
  test('transfers are idempotent by key: same content returns the original, other content is a conflict', async () => {
    const { t, patient } = scene;
    const ledger = billingOf(t).ledger;
    const now = t.clock.now();
    const spec = {
      debit: { kind: 'credit_issuance' as const, ref: 'issued', currency: 'CREDIT_TEXT' },
      credit: account(patient.id),
      amount: 3,
      key: 'test:grant:1',
      cause: 'test',
    };
    const first = await t.platform.uow((tx) => ledger.transfer(tx, spec, now));
    const again = await t.platform.uow((tx) => ledger.transfer(tx, spec, now));
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, transfer: { id: first.transfer.id } });
    await expect(
      t.platform.uow((tx) => ledger.transfer(tx, { ...spec, amount: 4 }, now)),
    ).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    const bal = await ledger.balance(t.platform.pool, account(patient.id));
    expect(bal.posted).toBe(3);
    await checkLedgerInvariants(t);
  });

  test('a debit past zero is refused by the database and leaves no trace (money.md 3, 7)', async () => {
    const { t, patient } = scene;
    const ledger = billingOf(t).ledger;
    const now = t.clock.now();
    const before = (await t.platform.pool.query('select count(*)::int as n from ledger_transfers')).rows[0].n;
    const spend = (n: number) => ({
      debit: account(patient.id),
      credit: { kind: 'credit_issuance' as const, ref: 'consumed', currency: 'CREDIT_TEXT' },
      amount: 1,
      key: `test:spend:${n}`,
      cause: 'test',
    });
    // Five spends of one credit at once against a balance of three: exactly three win.
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((n) => t.platform.uow((tx) => ledger.tryTransfer(tx, spend(n), now))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled' && r.value.ok).length;
    expect(ok).toBe(3);
    const after = (await t.platform.pool.query('select count(*)::int as n from ledger_transfers')).rows[0].n;
    expect(after - before).toBe(3);
    expect((await ledger.balance(t.platform.pool, account(patient.id))).posted).toBe(0);
    await checkLedgerInvariants(t);
  });

  test('an account first named by a refused tryTransfer stays usable (its id is not cached undone)', async () => {
    const { t, patient } = scene;
    const ledger = billingOf(t).ledger;
    const now = t.clock.now();
    const fresh = { kind: 'credit_issuance' as const, ref: 'consumed:fresh', currency: 'CREDIT_TEXT' };
    const refused = await t.platform.uow((tx) =>
      ledger.tryTransfer(
        tx,
        {
          debit: account(patient.id, 'patient_credits', 'empty'),
          credit: fresh,
          amount: 1,
          key: 'test:fresh:1',
          cause: 'test',
        },
        now,
      ),
    );
    expect(refused.ok).toBe(false);
    const issued = { kind: 'credit_issuance' as const, ref: 'issued', currency: 'CREDIT_TEXT' };
    const later = await t.platform.uow((tx) =>
      ledger.transfer(
        tx,
        { debit: issued, credit: fresh, amount: 2, key: 'test:fresh:2', cause: 'test' },
        now,
      ),
    );
    expect(later.created).toBe(true);
    expect((await ledger.balance(t.platform.pool, fresh)).posted).toBe(2);
  });

  test('entries and balances cannot be edited or deleted, even by hand', async () => {
    const { t } = scene;
    const pool = t.platform.pool;
    await expect(pool.query('update ledger_transfers set amount = amount + 1')).rejects.toThrow(/immutable/);
    await expect(pool.query('delete from ledger_transfers')).rejects.toThrow(/immutable/);
    await expect(pool.query('truncate ledger_transfers cascade')).rejects.toThrow(/immutable|truncate/);
    await expect(
      pool.query('update ledger_accounts set posted_credits = posted_credits + 1'),
    ).rejects.toThrow(/changes only by transfers/);
    await expect(pool.query('delete from ledger_accounts')).rejects.toThrow(/changes only by transfers/);
  });

  test('structure: amount > 0, two different accounts, one currency', async () => {
    const { t, patient } = scene;
    const ledger = billingOf(t).ledger;
    const now = t.clock.now();
    const base = {
      debit: { kind: 'gateway_clearing' as const, currency: 'INR' },
      credit: { kind: 'patient_escrow' as const, ownerId: patient.id, ref: 'x', currency: 'INR' },
      key: 'test:structure',
      cause: 'test',
    };
    await expect(t.platform.uow((tx) => ledger.transfer(tx, { ...base, amount: 0 }, now))).rejects.toThrow(
      /positive/,
    );
    await expect(t.platform.uow((tx) => ledger.transfer(tx, { ...base, amount: 1.5 }, now))).rejects.toThrow(
      /positive/,
    );
    await expect(
      t.platform.uow((tx) => ledger.transfer(tx, { ...base, credit: base.debit, amount: 1 }, now)),
    ).rejects.toThrow(/distinct_accounts/);
    const ids = await t.platform.uow(async (tx) => [
      await ledger.accountId(tx, base.debit, now),
      await ledger.accountId(tx, { kind: 'refunds', currency: 'USD' }, now),
    ]);
    await expect(
      t.platform.pool.query(
        `insert into ledger_transfers (debit_account_id, credit_account_id, amount, currency, flag, idempotency_key, content_hash, cause, created_at)
         values ($1, $2, 5, 'INR', 'posted', 'test:mixed', 'x', 'test', now())`,
        ids,
      ),
    ).rejects.toThrow(/mixes currencies/);
    // No foreign keys on transfers (0020): the trigger refuses an account that does not exist.
    const moved = () =>
      t.platform.pool
        .query('select (posted_debits + posted_credits)::int as n from ledger_accounts where id = $1', [
          ids[0],
        ])
        .then((r) => r.rows[0].n as number);
    const before = await moved();
    for (const pair of [
      [ids[0], '00000000-0000-4000-8000-000000000000'],
      ['00000000-0000-4000-8000-000000000000', ids[0]],
    ])
      await expect(
        t.platform.pool.query(
          `insert into ledger_transfers (debit_account_id, credit_account_id, amount, currency, flag, idempotency_key, content_hash, cause, created_at)
           values ($1, $2, 5, 'INR', 'posted', 'test:ghost', 'x', 'test', now())`,
          pair,
        ),
      ).rejects.toMatchObject({ code: '23503', constraint: 'ledger_transfers_accounts_exist' });
    const ghosts = await t.platform.pool.query(
      `select count(*)::int as n from ledger_transfers where idempotency_key = 'test:ghost'`,
    );
    expect(ghosts.rows[0].n).toBe(0);
    expect(await moved()).toBe(before);
  });

  test('two-phase: a pending transfer resolves once; an expired one is never posted', async () => {
    const { t, patient, doc } = scene;
    const ledger = billingOf(t).ledger;
    const now = t.clock.now();
    const escrow = {
      kind: 'patient_escrow' as const,
      ownerId: patient.id,
      ref: 'two-phase',
      currency: 'INR',
    };
    await t.platform.uow(async (tx) => {
      await ledger.transfer(
        tx,
        {
          debit: { kind: 'gateway_clearing', currency: 'INR' },
          credit: escrow,
          amount: 1000,
          key: 'tp:in',
          cause: 'test',
        },
        now,
      );
      for (const k of ['tp:a', 'tp:b'])
        await ledger.transfer(
          tx,
          {
            debit: escrow,
            credit: { kind: 'doctor_wallet', ownerId: doc.id, currency: 'INR' },
            amount: 400,
            key: k,
            cause: 'test',
            flag: 'pending',
            expiresAt: new Date(now.getTime() + 60_000),
          },
          now,
        );
    });
    // Pending debits count against the limit: 200 is all that is left.
    const over = await t.platform.uow((tx) =>
      ledger.tryTransfer(
        tx,
        {
          debit: escrow,
          credit: { kind: 'refunds', currency: 'INR' },
          amount: 201,
          key: 'tp:over',
          cause: 'test',
        },
        now,
      ),
    );
    expect(over.ok).toBe(false);
    const racers = await Promise.allSettled([
      t.platform.uow((tx) => ledger.resolve(tx, 'tp:a', 'post_pending', now)),
      t.platform.uow((tx) => ledger.resolve(tx, 'tp:a', 'void_pending', now)),
      t.platform.uow((tx) => ledger.resolve(tx, 'tp:a', 'post_pending', now)),
    ]);
    const resolutions = (
      await t.platform.pool.query(
        `select r.flag from ledger_transfers r join ledger_transfers p on p.id = r.pending_id where p.idempotency_key = 'tp:a'`,
      )
    ).rows;
    expect(resolutions).toHaveLength(1);
    expect(racers.every((r) => r.status === 'fulfilled')).toBe(true);
    const later = new Date(now.getTime() + 60_000);
    await expect(t.platform.uow((tx) => ledger.resolve(tx, 'tp:b', 'post_pending', later))).rejects.toThrow(
      /expired/,
    );
    expect(await t.platform.uow((tx) => ledger.resolve(tx, 'tp:b', 'void_pending', later))).not.toBeNull();
    await checkLedgerInvariants(t);
  });

  test("the tick's many-row write and a single transfer recognise each other's entry (same key, same content hash)", async () => {
    const { t } = scene;
    const ledger = billingOf(t).ledger;
    const now = t.clock.now();
    const debit = { kind: 'refunds' as const, currency: 'INR' };
    const credit = { kind: 'payouts' as const, currency: 'INR' };
    const sessionId = '00000000-0000-4000-8000-00000000b10c';
    const [d, c] = await t.platform.uow(async (tx) => [
      await ledger.accountId(tx, debit, now),
      await ledger.accountId(tx, credit, now),
    ]);
    const cols = {
      debitIds: [d, d],
      creditIds: [c, c],
      amounts: [7, 9],
      currencies: ['INR', 'INR'],
      keys: ['test:many:1', 'test:many:2'],
      causes: ['text_block_earning', 'text_block_earning'],
      sessionIds: [sessionId, null],
      subscriptionIds: [null, null],
    };
    await t.platform.uow((tx) => ledger.postMany(tx, cols, now));
    await t.platform.uow((tx) => ledger.postMany(tx, cols, now)); // a replay writes nothing
    const spec = { debit, credit, amount: 7, key: 'test:many:1', cause: 'text_block_earning', sessionId };
    const again = await t.platform.uow((tx) => ledger.transfer(tx, spec, now));
    expect(again.created).toBe(false);
    const second = await t.platform.uow((tx) =>
      ledger.transfer(tx, { ...spec, amount: 9, key: 'test:many:2', sessionId: null }, now),
    );
    expect(second.created).toBe(false);
    await expect(t.platform.uow((tx) => ledger.transfer(tx, { ...spec, amount: 8 }, now))).rejects.toThrow(
      /idempotency key/i,
    );
    const bal = await ledger.balance(t.platform.pool, credit);
    expect(bal.posted).toBe(16);
    await checkLedgerInvariants(t);
  });

  test('trial balance sums to zero per currency', async () => {
    const tb = await billingOf(scene.t).trialBalance();
    expect(tb.balanced).toBe(true);
    expect(tb.totals.length).toBeGreaterThan(0);
    void actor;
  });
});
