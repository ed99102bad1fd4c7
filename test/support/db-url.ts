/**
 * `url` with its database replaced by `name`. Parsed, not pattern-matched: the server's URL can
 * carry a query after the database (`?host=` for a Unix socket), and a replacement that silently
 * matched nothing would point every test file at the one shared database, where one file's rows
 * (OTP requests counted per IP, users, jobs) leak into another's.
 */
export function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  // The error never repeats the URL: it holds the password.
  if (!/^\/[^/]+$/.test(parsed.pathname)) throw new Error('databaseUrl: the URL names no database');
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** The database a URL names. */
export const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));
