import fc from 'fast-check';

/**
 * Hostile requests derived from the OpenAPI document itself: for each operation, path parameters,
 * query strings and bodies that follow the schema or break it on purpose (wrong types, missing and
 * extra fields, huge strings, NUL and control characters, negative/float/huge numbers, invalid
 * uuids and dates, malformed JSON, wrong media types, deep nesting).
 */

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
};

export type Operation = {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  body?: JsonSchema;
  isPublic: boolean;
};

export type FuzzRequest = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  role: string;
};

export type Spec = {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, JsonSchema> };
};

export function operationsOf(spec: Spec): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(item)) {
      const body = op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body,
        isPublic: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  return ops;
}

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001f\u007f',
  '\uFEFF',
  '\uD800',
  '😀'.repeat(50),
  "'; drop table users; --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '%',
  'null',
  'true',
  '-1',
  '1e309',
  'NaN',
  '9999-12-31',
  '0000-00-00',
  '2024-02-30',
  '+010000-01-01T00:00:00Z',
  '9999-12-31T23:59:59+14:00',
  '1970-01-01T00:00:00Z',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'not-a-uuid',
  '{}',
  '[]',
];
const NASTY_NUMBERS = [
  -1,
  0,
  0.5,
  -0.0001,
  1e308,
  -1e308,
  2 ** 53,
  2 ** 63,
  1e21,
  Number.MAX_SAFE_INTEGER + 2,
];

const nastyString = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);
const nastyNumber = fc.oneof(fc.constantFrom(...NASTY_NUMBERS), fc.double({ noNaN: true }), fc.integer());

/** Any JSON value, including deep nesting. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  nastyString,
  nastyNumber,
  fc.integer({ min: 50, max: 2_000 }).map((d) => {
    let v: unknown = 1;
    for (let i = 0; i < d; i++) v = { a: v };
    return v;
  }),
  fc.integer({ min: 50, max: 2_000 }).map((d) => JSON.parse(`${'['.repeat(d)}${']'.repeat(d)}`)),
);

function deref(spec: Spec, s: JsonSchema | undefined): JsonSchema {
  let cur = s ?? {};
  for (let i = 0; cur.$ref && i < 10; i++)
    cur = spec.components.schemas[cur.$ref.replace('#/components/schemas/', '')] ?? {};
  return cur;
}

/** A value that fits `schema` (often), or breaks it in one of the listed ways. */
export function valueFor(
  spec: Spec,
  schema: JsonSchema | undefined,
  ids: string[],
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = deref(spec, schema);
  if (depth > 4) return anyJson;
  const fitting = fittingValue(spec, s, ids, depth);
  return fc.oneof({ weight: 4, arbitrary: fitting }, { weight: 1, arbitrary: anyJson });
}

function fittingValue(spec: Spec, s: JsonSchema, ids: string[], depth: number): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) return fc.oneof(...alts.map((a) => valueFor(spec, a, ids, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'string':
      if (s.format === 'uuid') return fc.oneof(fc.constantFrom(...ids), fc.uuid(), nastyString);
      if (s.format === 'date-time')
        return fc.oneof(
          fc
            .date({ min: new Date('1800-01-01'), max: new Date('2300-01-01'), noInvalidDate: true })
            .map((d) => d.toISOString()),
          nastyString,
        );
      if (s.format === 'date')
        return fc.oneof(
          fc
            .date({ min: new Date('1800-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
            .map((d) => d.toISOString().slice(0, 10)),
          nastyString,
        );
      if (s.format === 'email') return fc.oneof(fc.emailAddress(), nastyString);
      return fc.oneof(fc.string({ maxLength: s.maxLength ?? 50 }), nastyString);
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer({ min: -1000, max: 1_000_000 }), nastyNumber);
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 0, null));
    case 'array':
      return fc.oneof(fc.array(valueFor(spec, s.items, ids, depth + 1), { maxLength: 5 }), fc.constant({}));
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of props) record[k] = valueFor(spec, v, ids, depth + 1);
      return fc
        .tuple(
          fc.record(record, { requiredKeys: [] }),
          fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { maxKeys: 2 }),
          fc.boolean(),
        )
        .map(([base, extra, withExtra]) => (withExtra ? { ...extra, ...base } : base));
    }
    default:
      return anyJson;
  }
}

const BAD_BODIES = [
  '{',
  '{"a":',
  'null',
  '[]',
  '"just a string"',
  '\u0000',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
];
const MEDIA_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  '',
];

function pathValue(spec: Spec, p: Operation['parameters'][number], ids: string[]) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids) },
    {
      weight: 2,
      arbitrary: valueFor(spec, p.schema, ids).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('%00', '%E0%A4%A', 'a'.repeat(150), '..', '%2F', `sbx_${'0'.repeat(32)}`),
    },
  );
}

/** Percent-encodes every byte (lone surrogates included), except raw escapes kept on purpose. */
const encodePath = (v: string) =>
  /^%[0-9A-F]{2}/i.test(v) || v === '..'
    ? v
    : [...Buffer.from(v, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** One hostile (or plausible) request for `op`, sent as `role` (a key of `tokens`, or `none`). */
export function requestFor(
  spec: Spec,
  op: Operation,
  ids: string[],
  roles: string[],
): fc.Arbitrary<Omit<FuzzRequest, 'headers'> & { contentType?: string }> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(...pathParams.map((p) => pathValue(spec, p, ids))).map((vals) => {
    let path = op.path;
    pathParams.forEach((p, i) => {
      path = path.replace(`{${p.name}}`, encodePath(String(vals[i])));
    });
    return path;
  });
  const queryArb = fc
    .tuple(
      ...queryParams.map((p) =>
        fc.option(
          valueFor(spec, p.schema, ids).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
          { nil: undefined },
        ),
      ),
    )
    .map((vals) => {
      const q = new URLSearchParams();
      queryParams.forEach((p, i) => {
        if (vals[i] !== undefined) q.set(p.name, vals[i] as string);
      });
      return q.toString();
    });
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const bodyArb: fc.Arbitrary<{ body?: string; contentType?: string }> = hasBody
    ? fc.oneof(
        {
          weight: 6,
          arbitrary: valueFor(spec, op.body, ids).map((v) => ({
            body: JSON.stringify(v) ?? 'null',
            contentType: 'application/json',
          })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...BAD_BODIES)
            .map((b) => ({ body: b, contentType: 'application/json' })),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom(...MEDIA_TYPES), valueFor(spec, op.body, ids))
            .map(([t, v]) => ({ body: JSON.stringify(v) ?? '', contentType: t || undefined })),
        },
        { weight: 1, arbitrary: fc.constant({}) },
      )
    : fc.constant({});
  return fc.tuple(pathArb, queryArb, bodyArb, fc.constantFrom(...roles)).map(([path, query, b, role]) => ({
    method: op.method,
    path: query ? `${path}?${query}` : path,
    role,
    ...b,
  }));
}
