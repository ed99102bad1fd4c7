import { useQuery } from '@tanstack/react-query';

/**
 * Which API operations this server offers, read from its OpenAPI document. Screens for APIs that
 * are still being built (consultations, sessions, wallets, plans, visits) check here first and
 * say so in words when the server lacks them, instead of failing request by request.
 */
export function useApiPaths() {
  return useQuery({
    queryKey: ['openapi-paths'],
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async () => {
      const res = await fetch('/openapi.json');
      if (!res.ok) return new Set<string>();
      const doc = (await res.json()) as { paths?: Record<string, Record<string, unknown>> };
      const ops = new Set<string>();
      for (const [path, methods] of Object.entries(doc.paths ?? {}))
        for (const m of Object.keys(methods))
          ops.add(`${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      return ops;
    },
  });
}

/** True when the server has every one of the operations (`'POST /api/visits'`); undefined while unknown. */
export function useHasApi(...ops: string[]): boolean | undefined {
  const paths = useApiPaths();
  if (!paths.data) return undefined;
  return ops.every((op) => paths.data.has(op));
}
