import { sql } from 'drizzle-orm';
import type { PgPreparedQuery, PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { Db } from './uow.js';

type Template = PgPreparedQuery<PreparedQueryConfig> & { client: unknown };
/** A Drizzle query builder that can be prepared (select, insert, update, delete, with CTEs). */
type Preparable = { prepare(name: string): unknown };

/**
 * Statements built once per shape. Drizzle renders a statement's SQL on every call: for a paid
 * initiate's two inserts that was about 1 ms of the API's CPU, the largest single cost (issue 12).
 * A statement kept here is built the first time its `shape` is seen, with `sql.placeholder`s where
 * its values go, and afterwards only filled in and run — on whichever handle the call has (a
 * transaction's connection or the pool), with Drizzle's own row mapping. The shape is the caller's
 * key for everything that changes the SQL text (which columns, which optional parts).
 */
export function createStatementCache(max = 100) {
  const templates = new Map<string, Template>();
  return async function run<Row>(
    db: Db,
    shape: string,
    build: () => Preparable,
    values: Record<string, unknown>,
  ): Promise<Row[]> {
    let template = templates.get(shape);
    if (!template) {
      // Unnamed here: the pool's client names every statement by its text (PreparingClient).
      template = build().prepare('') as Template;
      if (templates.size < max) templates.set(shape, template);
    }
    const bound: Template = Object.create(template);
    bound.client = (db as unknown as { $client: unknown }).$client;
    return (await bound.execute(values)) as Row[];
  };
}

/**
 * A row to insert through a prebuilt statement: its shape (which columns it sets, which of them to
 * NULL) and, for building, its values as placeholders. NULLs are written into the SQL: a placeholder
 * would pass them through the column's encoder, which does not expect them. Undefined is left out
 * (the column's default).
 */
export function rowShape(row: Record<string, unknown>) {
  const set = Object.keys(row).filter((k) => row[k] !== undefined);
  return {
    shape: set.map((k) => (row[k] === null ? `${k}:null` : k)).join(),
    placeholders: () =>
      Object.fromEntries(set.map((k) => [k, row[k] === null ? sql`null` : sql.placeholder(k)])),
  };
}
