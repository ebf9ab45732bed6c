/**
 * Columns accept what the code lets through: each column a validator bounds
 * is compared with the live column type, so narrowing a column below what
 * validation accepts fails the check even when the TypeScript type is unchanged.
 */
import type pg from "pg";
import { EVENT_COLUMN_LIMITS } from "../../src/events/event.js";
import { TOKEN_COLUMN_LIMITS } from "../../src/tokens/tokens.js";
import type { ColumnLimit, TableLimits } from "../../src/validate.js";

const WRITTEN_TABLES: TableLimits[] = [EVENT_COLUMN_LIMITS, TOKEN_COLUMN_LIMITS];

interface LiveColumn {
  column_name: string;
  data_type: string;
  udt_name: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
}

const INTEGER_RANGES: Record<string, [number, number]> = {
  int2: [-32768, 32767],
  int4: [-2147483648, 2147483647],
  int8: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const TEXT_TYPES = new Set(["text", "varchar", "bpchar", "citext"]);
// The longest text form of an IPv6 address with an embedded IPv4 one.
const LONGEST_ADDRESS = 45;

function describe(column: LiveColumn): string {
  if (column.character_maximum_length !== null) return `${column.data_type}(${column.character_maximum_length})`;
  if (column.udt_name === "numeric" && column.numeric_precision !== null) {
    return `numeric(${column.numeric_precision},${column.numeric_scale ?? 0})`;
  }
  return column.data_type;
}

/** Why `column` refuses some value `limit` accepts, or undefined when it takes them all. */
function refusal(column: LiveColumn, limit: ColumnLimit): string | undefined {
  const type = column.udt_name;
  const length = column.character_maximum_length;
  switch (limit.kind) {
    case "text":
      if (!TEXT_TYPES.has(type)) return `refuses arbitrary text, which ${limit.source} lets through`;
      if (length !== null && length < limit.maxLength) {
        return `holds ${length} characters, but ${limit.source} lets through ${limit.maxLength}`;
      }
      return undefined;
    case "inet":
      if (type === "inet") return undefined;
      if (TEXT_TYPES.has(type) && (length === null || length >= LONGEST_ADDRESS)) return undefined;
      return `refuses some IPv4 or IPv6 addresses, which ${limit.source} lets through`;
    case "integer": {
      let range = INTEGER_RANGES[type];
      if (type === "numeric" && column.numeric_precision !== null) {
        const largest = 10 ** (column.numeric_precision - (column.numeric_scale ?? 0)) - 1;
        range = [-largest, largest];
      } else if (type === "numeric" || type === "float8" || TEXT_TYPES.has(type)) return undefined;
      if (range === undefined) return `refuses integers, which ${limit.source} lets through`;
      if (limit.min < range[0] || limit.max > range[1]) {
        return `holds ${range[0]} to ${range[1]}, but ${limit.source} lets through ${limit.min} to ${limit.max}`;
      }
      return undefined;
    }
  }
}

/** One line per column that would refuse a value its validator accepts, naming the column and the limit. */
export async function columnLimitProblems(client: pg.Client): Promise<string[]> {
  const problems: string[] = [];
  for (const { table, columns } of WRITTEN_TABLES) {
    const live = await client.query<LiveColumn>(
      `SELECT column_name, data_type, udt_name, character_maximum_length, numeric_precision, numeric_scale
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
      [table],
    );
    const byName = new Map(live.rows.map((row) => [row.column_name, row]));
    for (const [name, limit] of Object.entries(columns)) {
      const column = byName.get(name);
      if (column === undefined) {
        problems.push(`${table}.${name}: no such column, but the code writes it (${limit.source})`);
        continue;
      }
      const why = refusal(column, limit);
      if (why !== undefined) problems.push(`${table}.${name} is ${describe(column)}: it ${why}`);
    }
  }
  return problems;
}
