import { describe, expect, test } from 'vitest';
import { serializeError } from './logger.js';

describe('error serializer', () => {
  test("keeps an error's code and primitive details, drops query values and attached objects", () => {
    const cause = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      detail: 'Key (phone)=(+919812345678) already exists.',
    });
    const err = Object.assign(
      new Error('Failed query: insert into users (phone) values ($1)\nparams: +919812345678', { cause }),
      { client: { connectionParameters: { user: 'carebook', password: 'hunter2' } }, attempt: 2 },
    );
    const out = JSON.stringify(serializeError(err));
    expect(out).toContain('insert into users');
    expect(out).toContain('23505');
    expect(out).toContain('"attempt":2');
    for (const leak of ['+919812345678', 'hunter2', 'connectionParameters']) expect(out).not.toContain(leak);
  });
});
