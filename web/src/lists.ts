/** A list reply: a plain array, or one page `{items, nextCursor}` (api.md's paging). */
export const itemsOf = <T>(reply: T[] | { items?: T[] } | null | undefined): T[] =>
  Array.isArray(reply) ? reply : (reply?.items ?? []);
