/**
 * PL/pgSQL bodies are checked with the plpgsql_check extension: PostgreSQL
 * only parses them at CREATE, so a column renamed under a function otherwise
 * fails at its first call in production.
 */
import type pg from "pg";

export type PlpgsqlResult = { problems: string[] } | { unavailable: string };

export async function plpgsqlProblems(client: pg.Client): Promise<PlpgsqlResult> {
  const available = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'plpgsql_check'`);
  if (available.rowCount === 0) {
    return { unavailable: "the plpgsql_check extension is not installed on this PostgreSQL server" };
  }
  await client.query("CREATE EXTENSION IF NOT EXISTS plpgsql_check");
  // A trigger function is checked against a table that fires it.
  const findings = await client.query<{
    function: string;
    lineno: number | null;
    message: string;
    query: string | null;
  }>(
    `SELECT p.oid::regprocedure::text AS function, r.lineno, r.message, r.query
     FROM pg_proc p
     JOIN pg_namespace n ON n.oid = p.pronamespace
     JOIN pg_language l ON l.oid = p.prolang
     LEFT JOIN LATERAL (SELECT t.tgrelid FROM pg_trigger t WHERE t.tgfoid = p.oid LIMIT 1) fired ON true
     CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid, coalesce(fired.tgrelid, 0)) r
     WHERE n.nspname = 'public' AND l.lanname = 'plpgsql' AND r.level = 'error'
       AND (p.prorettype <> 'trigger'::regtype OR fired.tgrelid IS NOT NULL)
     ORDER BY 1, 2`,
  );
  return {
    problems: findings.rows.map((row) => {
      const statement = row.query === null ? "" : `\n  in: ${row.query.split("\n")[0]!.trim()}`;
      return `function ${row.function} line ${row.lineno ?? "?"}: ${row.message}${statement}`;
    }),
  };
}
