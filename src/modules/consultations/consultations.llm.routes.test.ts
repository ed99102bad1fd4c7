import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHEST_PAIN, collect, SORE_THROAT } from '../../../test/factories/consultations.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { type FakeReply, type FakeServer, startFakeServer } from '../../../test/fakes/http-server.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { assessSymptoms } from './triage/index.js';

/** An OpenAI-compatible chat completion whose message content is `content`. */
const completion = (content: string): FakeReply => ({
  status: 200,
  body: {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    model: 'test-model',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
  },
});

describe('triage refinement through an OpenAI-compatible endpoint (local fake)', () => {
  let t: TestApp;
  let llm: FakeServer;
  let patient: TestUser;
  let next: () => FakeReply | Promise<FakeReply> = () => completion('{}');

  beforeAll(async () => {
    llm = await startFakeServer(() => next());
    t = await startTestApp({
      env: {
        LLM_BASE_URL: `${llm.url}/v1`,
        LLM_API_KEY: 'test-llm-key',
        LLM_MODEL: 'test-model',
        LLM_TIMEOUT_MS: '300',
      },
    });
    patient = await createUser(t, { role: 'patient' });
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  const rulesFor = (input: typeof SORE_THROAT | typeof CHEST_PAIN) => {
    const a = assessSymptoms(input);
    return { urgency: a.urgency, names: a.possibleDiagnoses.slice(0, 5).map((d) => d.name) };
  };

  test('a good reply: the endpoint is asked with the model and key, and the answer keeps its contract', async () => {
    const before = llm.requests.length;
    next = () =>
      completion(
        JSON.stringify({
          possibleDiagnoses: [{ code: 'pharyngitis', name: 'Sore throat (pharyngitis)', score: 0.8 }],
          confidenceScore: 0.8,
          urgency: 'self_care',
          redFlags: [],
          advice: 'Rest and fluids.',
        }),
      );
    const res = await collect(t, patient, SORE_THROAT);
    expect(res.status).toBe(200);
    const call = llm.requests.slice(before).find((r) => r.method === 'POST');
    expect(call?.path).toMatch(/\/v1\/chat\/completions$/);
    expect(call?.headers.authorization).toBe('Bearer test-llm-key');
    expect(JSON.parse(call!.body).model).toBe('test-model');
    expect(res.body.disclaimer).toBeTruthy();
    expect(res.body.preliminaryDiagnosis.possible_diagnoses.length).toBeLessThanOrEqual(5);
    const order = ['self_care', 'routine', 'urgent', 'emergency'];
    expect(order.indexOf(res.body.preliminaryDiagnosis.urgency)).toBeGreaterThanOrEqual(
      order.indexOf(rulesFor(SORE_THROAT).urgency),
    );
  });

  test.each<[string, () => FakeReply | Promise<FakeReply>]>([
    ['malformed JSON content', () => completion('this is not json {')],
    [
      'JSON of the wrong shape',
      () => completion(JSON.stringify({ urgency: 'whenever', possibleDiagnoses: 'flu' })),
    ],
    ['a server error', () => ({ status: 500, body: { error: { message: 'overloaded' } } })],
    [
      'no answer before the timeout',
      () => new Promise<FakeReply>((r) => setTimeout(() => r(completion('{}')), 1500)),
    ],
  ])('%s: the rules answer, unchanged', async (_name, reply) => {
    next = reply;
    const before = llm.requests.length;
    const res = await collect(t, patient, SORE_THROAT);
    expect(res.status).toBe(200);
    expect(llm.requests.length).toBeGreaterThan(before);
    const rules = rulesFor(SORE_THROAT);
    expect(res.body.preliminaryDiagnosis.urgency).toBe(rules.urgency);
    expect(res.body.preliminaryDiagnosis.possible_diagnoses).toEqual(rules.names);
    expect(res.body.disclaimer).toBeTruthy();
  });

  test('a reply that tries to lower an emergency does not: still emergency, emergency type only, no payment step', async () => {
    next = () =>
      completion(
        JSON.stringify({
          possibleDiagnoses: [{ code: 'indigestion', name: 'Indigestion', score: 0.9 }],
          confidenceScore: 0.9,
          urgency: 'self_care',
          redFlags: [],
          advice: 'Take an antacid and rest.',
        }),
      );
    const res = await collect(t, patient, CHEST_PAIN);
    expect(res.status).toBe(200);
    expect(res.body.preliminaryDiagnosis.urgency).toBe('emergency');
    expect(res.body.recommendedConsultationTypes).toEqual(['emergency']);
    expect(res.body.preliminaryDiagnosis.red_flags.length).toBeGreaterThan(0);
    expect(res.body.nextStep).toBeNull();
    const stored = await t.platform.pool.query('select urgency from triage_sessions where id = $1', [
      res.body.sessionId,
    ]);
    expect(stored.rows[0].urgency).toBe('emergency');
  });
});
