import type { Server, ServerResponse } from 'node:http';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * The contract check: every reply the tests' apps send is recorded at the HTTP server, then checked
 * against the app's own /openapi.json (status declared, media type declared, body matches the
 * schema). `test/contract/replies.setup.ts` runs the check after each test file.
 */

export type Reply = { method: string; path: string; status: number; type: string; body: string };
type Spec = {
  paths: Record<string, Record<string, { responses: Record<string, MediaResponse> }>>;
  components: Record<string, unknown>;
};
type MediaResponse = { content?: Record<string, { schema?: Record<string, unknown> }> };

const state = { replies: [] as Reply[], spec: undefined as Spec | undefined };

/** Wraps the server's responses so each reply's status, media type and body are kept. */
export function recordReplies(server: Server, spec: unknown): void {
  state.spec ??= spec as Spec;
  server.prependListener('request', (req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown) => {
      if (chunk && chunks.length < 2000) chunks.push(Buffer.from(chunk as string));
    };
    const write = res.write.bind(res) as (...a: unknown[]) => boolean;
    const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
    let headType: string | undefined;
    res.writeHead = ((...a: unknown[]) => {
      const headers = a.find((x) => x && typeof x === 'object' && !Array.isArray(x)) as
        | Record<string, unknown>
        | undefined;
      for (const [k, v] of Object.entries(headers ?? {}))
        if (k.toLowerCase() === 'content-type') headType = String(v);
      return writeHead(...a);
    }) as ServerResponse['writeHead'];
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') keep(chunk);
      return write(chunk, ...rest);
    }) as ServerResponse['write'];
    res.end = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') keep(chunk);
      return end(chunk, ...rest);
    }) as ServerResponse['end'];
    res.on('finish', () => {
      state.replies.push({
        method: (req.method ?? 'GET').toLowerCase(),
        path: (req.url ?? '/').split('?')[0] ?? '/',
        status: res.statusCode,
        type: String(res.getHeader('content-type') ?? headType ?? '')
          .split(';')[0]!
          .trim(),
        body: Buffer.concat(chunks).toString('utf8'),
      });
    });
  });
}

export const recordedReplies = () => state.replies;

/** The spec path (`/api/clinicians/{id}`) a concrete path belongs to, preferring literal segments. */
function matchPath(spec: Spec, path: string): string | undefined {
  const segs = path.split('/');
  let best: { p: string; literal: number } | undefined;
  for (const p of Object.keys(spec.paths)) {
    const ps = p.split('/');
    if (ps.length !== segs.length) continue;
    let literal = 0;
    let ok = true;
    for (let i = 0; i < ps.length; i++) {
      if (ps[i]!.startsWith('{')) continue;
      let seg = segs[i]!;
      try {
        seg = decodeURIComponent(seg);
      } catch {}
      if (ps[i] !== seg) {
        ok = false;
        break;
      }
      literal++;
    }
    if (ok && (!best || literal > best.literal)) best = { p, literal };
  }
  return best?.p;
}

/** Problems with the recorded replies, one line each (empty when every reply keeps the contract). */
export function contractViolations(replies: Reply[] = state.replies, spec = state.spec): string[] {
  if (!spec) return [];
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'carebook:openapi', components: spec.components });
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const validatorFor = (schema: Record<string, unknown>) => {
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"carebook:openapi#/components/');
    let v = validators.get(text);
    if (!v) {
      v = ajv.compile(JSON.parse(text));
      validators.set(text, v);
    }
    return v;
  };
  const out: string[] = [];
  for (const r of replies) {
    const path = matchPath(spec, r.path);
    const op = path ? spec.paths[path]?.[r.method] : undefined;
    if (!path || !op) continue; // not an operation of the document (web pages, /docs assets, unknown routes)
    const where = `${r.method.toUpperCase()} ${r.path} -> ${r.status}`;
    const declared =
      op.responses[String(r.status)] ?? op.responses[`${String(r.status)[0]}XX`] ?? op.responses.default;
    if (!declared) {
      out.push(`${where}: status not declared (declared: ${Object.keys(op.responses).join(', ')})`);
      continue;
    }
    if (!r.body || r.status === 204 || r.status === 304) continue;
    const media = declared.content?.[r.type];
    if (!media) {
      out.push(
        `${where}: media type ${r.type || '(none)'} not declared (${Object.keys(declared.content ?? {}).join(', ')})`,
      );
      continue;
    }
    if (!media.schema || !/json$/.test(r.type)) continue;
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      out.push(`${where}: body is not JSON`);
      continue;
    }
    const validate = validatorFor(media.schema);
    if (!validate(body))
      out.push(
        `${where}: body does not match: ${ajv.errorsText(validate.errors)} in ${r.body.slice(0, 300)}`,
      );
  }
  return out;
}
