import { useSearchParams } from 'react-router';

/**
 * The page's query string as its state: `get` reads this render's value, `set` changes keys.
 * `set` starts from the address bar, not from the last render: React Router renders a navigation
 * in a transition, so two quick changes (two filters picked one after the other) would otherwise
 * both start from the old query and the second would drop the first.
 */
export function useQueryState() {
  const [params, setParams] = useSearchParams();
  const get = (key: string) => params.get(key) ?? '';
  /** Sets each key, or removes it when its value is empty or null. */
  const set = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  };
  return { params, get, set };
}
