import autocannon from 'autocannon';
import Fastify from 'fastify';
import { expect, test } from 'vitest';
import { createBookableClinician } from '../../../test/factories/catalog.js';
import { createUser } from '../../../test/factories/identity.js';
import { startTestApp } from '../../../test/support/app.js';

test('perf', async () => {
  const t = await startTestApp({ env: { LOG_LEVEL: 'warn' } });
  const admin = await createUser(t, { role: 'admin' });
  const { clinician } = await createBookableClinician(t, admin, {});
  const url = `${t.url}/api/clinicians/${clinician.id}/slots?from=2030-01-08&to=2030-02-06`;
  const one = await t.http.get(url.replace(t.url, ''));
  const text = JSON.stringify(one.body);
  const bare = Fastify();
  bare.get('/bare', async (_req, reply) => reply.type('application/json').send(text));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as any).port}/bare`;
  for (const [name, u] of [['slots', url], ['bare', bareUrl]]) {
    await autocannon({ url: u, connections: 50, duration: 2 });
    const r = await autocannon({ url: u, connections: 50, duration: 5 });
    console.log(name, 'p50', r.latency.p50, 'p99', r.latency.p99, 'rps', r.requests.average, 'non2xx', r.non2xx);
  }
  await bare.close();
  await t.close();
  expect(1).toBe(1);
}, 90_000);
