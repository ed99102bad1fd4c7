import { createServer, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestUser } from '../../../test/factories/identity.js';
import { createPayable, payableState, paymentRow, startPaymentsApp } from '../../../test/payments/support.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { freePort } from '../../platform/db/embedded.js';
import { sandboxDeliverJob } from './payments.jobs.js';

/**
 * A network hop in front of the app (think load balancer): forwards every request to `target`.
 * Started late, it stands for an endpoint that was unreachable for a while and came back.
 */
async function startForwarder(port: number, target: string) {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the sandbox gateway retries a webhook our endpoint did not take', () => {
  let t: TestApp;
  let patient: TestUser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, patient, close } = await startPaymentsApp());
  });
  afterAll(() => close?.());

  const payOnHostedPage = async (checkoutUrl: string) => {
    const res = await fetch(`${t.url}${new URL(checkoutUrl).pathname}/pay`, {
      method: 'POST',
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
  };
  async function deliveryJobs(checkoutId: string) {
    const { rows } = await t.platform.pool.query<{
      state: string;
      retry_count: number;
      waits: boolean;
      error: string | null;
    }>(
      `select state, retry_count, start_after > now() as waits, output::text as error
         from pgboss.job where name = $1 and data->>'checkoutId' = $2`,
      [sandboxDeliverJob.name, checkoutId],
    );
    return rows;
  }
  async function eventsFor(paymentId: string) {
    const { rows } = await t.platform.pool.query(
      'select outcome from webhook_events where payment_id = $1 order by received_at',
      [paymentId],
    );
    return rows.map((r) => r.outcome);
  }

  test('our endpoint answers 500 to the first delivery: retried after a backoff, SUCCEEDED exactly once', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    // A real fault inside our endpoint: its transaction fails once, so the gateway gets a 500.
    await t.platform.pool.query(`
      create sequence test_delivery_crash_seq;
      create function test_delivery_crash_once() returns trigger as $$
      begin
        if nextval('test_delivery_crash_seq') = 1 then raise exception 'simulated outage'; end if;
        return new;
      end $$ language plpgsql;
      create trigger test_delivery_crash_once after update on test_payables
        for each row execute function test_delivery_crash_once();`);
    try {
      await payOnHostedPage(checkout!.checkoutUrl!);
      // Only what is due now: the failed delivery waits for its backoff, like a real gateway's retry.
      expect(await t.platform.jobs.runPending({ names: [sandboxDeliverJob.name] })).toBe(1);
      const [first] = await deliveryJobs(checkout!.orderId);
      expect(first).toMatchObject({ state: 'retry', retry_count: 0, waits: true });
      expect(first!.error).toContain('HTTP 500');
      expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'CREATED', captured_minor: 0 });
      expect(await eventsFor(paymentId)).toEqual([]);
      expect((await payableState(t, payableId)).calls).toEqual([]);

      expect(await t.runJobs({ names: [sandboxDeliverJob.name] })).toBe(1);
      expect(await deliveryJobs(checkout!.orderId)).toMatchObject([{ state: 'completed', retry_count: 1 }]);
      expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', captured_minor: 29900 });
      expect(await eventsFor(paymentId)).toEqual(['succeeded']);
      expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
      expect(await t.runJobs({ names: [sandboxDeliverJob.name] })).toBe(0);
    } finally {
      await t.platform.pool.query(
        'drop trigger test_delivery_crash_once on test_payables; drop function test_delivery_crash_once(); drop sequence test_delivery_crash_seq;',
      );
    }
  });

  test('the endpoint is unreachable at first: a worker keeps retrying on its own until it gets through, once', async () => {
    // A worker process delivers to PUBLIC_URL, where nothing listens yet.
    const port = await freePort();
    const worker = await startTestApp({
      role: 'worker',
      clock: t.clock,
      databaseUrl: t.platform.config.db.url,
      env: { PUBLIC_URL: `http://127.0.0.1:${port}` },
    });
    let forwarder: Awaited<ReturnType<typeof startForwarder>> | undefined;
    try {
      const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
      await payOnHostedPage(checkout!.checkoutUrl!);
      const waitFor = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string) => {
        for (let i = 0; i < 150; i++) {
          const v = await read();
          if (ok(v)) return v;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`timed out waiting for ${what}`);
      };
      const [failed] = await waitFor(
        () => deliveryJobs(checkout!.orderId),
        (rows) => rows[0]?.state === 'retry',
        'the first delivery to fail',
      );
      expect(failed!.error).toMatch(/fetch failed|ECONNREFUSED/);
      expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'CREATED' });

      forwarder = await startForwarder(port, t.url);
      await waitFor(
        () => paymentRow(t, paymentId),
        (p) => p.status === 'SUCCEEDED',
        'the retried delivery to get through',
      );
      await waitFor(
        () => deliveryJobs(checkout!.orderId),
        (rows) => rows[0]?.state === 'completed',
        'the delivery job to complete',
      );
      expect((await deliveryJobs(checkout!.orderId))[0]!.retry_count).toBeGreaterThanOrEqual(1);
      expect(await eventsFor(paymentId)).toEqual(['succeeded']);
      expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
      expect(await paymentRow(t, paymentId)).toMatchObject({ captured_minor: 29900 });
    } finally {
      await worker.close();
      await forwarder?.close();
    }
  }, 60_000);
});
