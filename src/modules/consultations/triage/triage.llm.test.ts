import { afterEach, describe, expect, test } from 'vitest';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../../../test/fakes/http-server.js';
import { assessSymptoms, type LlmOptions, refineWithLlm, type TriageInput } from './index.js';

const input: TriageInput = {
  description: 'sore throat and runny nose for 2 days, no fever',
  age: 30,
  gender: 'female',
};
const rules = assessSymptoms(input);

function completion(content: unknown) {
  return {
    status: 200,
    body: {
      id: 'cmpl-1',
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: typeof content === 'string' ? content : JSON.stringify(content),
          },
        },
      ],
    },
  };
}

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function refineAgainst(handler: FakeHandler, opts: Partial<LlmOptions> = {}) {
  server = await startFakeServer(handler);
  return refineWithLlm(input, rules, {
    baseUrl: `${server.url}/v1`,
    apiKey: 'test-key',
    model: 'gpt-4o-mini',
    timeoutMs: 2000,
    ...opts,
  });
}

describe('refineWithLlm', () => {
  test('sends one OpenAI-compatible chat completion with a strict JSON schema and applies a good reply', async () => {
    expect(rules.urgency).toBe('self_care');
    const refined = await refineAgainst(() =>
      completion({
        rankedCodes: ['J02', 'J00', 'NOT-A-CODE'],
        urgency: 'routine',
        redFlags: [],
        confidenceScore: 0.7,
      }),
    );
    const [req] = server!.requests;
    expect(server!.requests).toHaveLength(1);
    expect(req).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(req!.headers.authorization).toBe('Bearer test-key');
    expect(req!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req!.body);
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema).toMatchObject({ name: 'triage_refinement', strict: true });
    expect(body.response_format.json_schema.schema.required).toEqual([
      'rankedCodes',
      'urgency',
      'redFlags',
      'confidenceScore',
    ]);
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(JSON.parse(body.messages[1].content).patient.description).toBe(input.description);

    expect(refined.possibleDiagnoses.map((d) => d.code)).toEqual(['J02', 'J00']);
    expect(refined.possibleDiagnoses[0]!.name).toBe('Sore throat (viral pharyngitis)');
    expect(refined.urgency).toBe('routine');
    expect(refined.findings).toEqual(rules.findings);
  });

  test('a reply that tries to lower the urgency keeps the rules’ urgency', async () => {
    const emergencyInput: TriageInput = {
      description: 'crushing chest pain going down my left arm, sweating',
      age: 60,
    };
    const emergency = assessSymptoms(emergencyInput);
    server = await startFakeServer(() =>
      completion({ rankedCodes: ['K21'], urgency: 'self_care', redFlags: [], confidenceScore: 0.9 }),
    );
    const refined = await refineWithLlm(emergencyInput, emergency, {
      baseUrl: server.url,
      model: 'm',
      timeoutMs: 2000,
    });
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    expect(refined.urgency).toBe('emergency');
    expect(refined.recommendedConsultationTypes).toEqual(['emergency']);
    expect(refined.redFlags).toEqual(expect.arrayContaining(emergency.redFlags));
    expect(refined.advice).toBe(emergency.advice);
  });

  test('a reply that raises the urgency to emergency switches to emergency guidance', async () => {
    const refined = await refineAgainst(() =>
      completion({
        rankedCodes: ['J05.1'],
        urgency: 'emergency',
        redFlags: ['Drooling and unable to swallow'],
        confidenceScore: 0.6,
      }),
    );
    expect(refined.urgency).toBe('emergency');
    expect(refined.recommendedConsultationTypes).toEqual(['emergency']);
    expect(refined.redFlags).toContain('Drooling and unable to swallow');
    expect(refined.advice).toContain('112');
  });

  test.each([
    ['content that is not JSON', () => completion('I think it is a cold')],
    ['JSON that misses fields', () => completion({ rankedCodes: ['J00'] })],
    [
      'an unknown urgency',
      () => completion({ rankedCodes: ['J00'], urgency: 'later', redFlags: [], confidenceScore: 0.5 }),
    ],
    ['no choices', () => ({ status: 200, body: { choices: [] } })],
    ['a 500 error', () => ({ status: 500, body: { error: { message: 'boom' } } })],
    ['a body that is not JSON', () => ({ status: 200, body: '<html>bad gateway</html>' })],
  ])('falls back to the rules answer on %s', async (_name, reply) => {
    const refined = await refineAgainst(reply);
    expect(server!.requests).toHaveLength(1);
    expect(refined).toEqual(rules);
  });

  test('falls back to the rules answer when the model is slower than the timeout', async () => {
    const refined = await refineAgainst(
      async () => {
        await new Promise((r) => setTimeout(r, 500));
        return completion({ rankedCodes: ['J02'], urgency: 'urgent', redFlags: [], confidenceScore: 0.9 });
      },
      { timeoutMs: 100 },
    );
    expect(refined).toEqual(rules);
  });

  test('falls back to the rules answer when nothing listens', async () => {
    server = await startFakeServer(() => completion({}));
    const url = server.url;
    await server.close();
    server = undefined;
    expect(await refineWithLlm(input, rules, { baseUrl: url, model: 'm', timeoutMs: 1000 })).toEqual(rules);
  });
});
