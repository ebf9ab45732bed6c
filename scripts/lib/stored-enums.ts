/**
 * Every proto enum whose values are stored agrees with its PostgreSQL
 * counterpart. Pairs are found by name, not kept in a list: a PostgreSQL enum
 * (or a CHECK listing a text column's values) named like a proto enum in
 * snake case (alert_state ↔ AlertState), or ending in one (event_severity ↔
 * Severity), must hold exactly that enum's value names without their prefix
 * and without the zero value.
 */
import { readFile } from "node:fs/promises";
import { createFileRegistry, fromBinary, type DescEnum } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type pg from "pg";

const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** The proto enums in a descriptor set, Warden's own (not google.*), by snake-case name. */
async function protoEnums(descriptorSetFile: string): Promise<Map<string, DescEnum>> {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, await readFile(descriptorSetFile)));
  const enums = new Map<string, DescEnum>();
  for (const type of registry) {
    if (type.kind === "enum" && !type.typeName.startsWith("google.")) enums.set(snakeCase(type.name), type);
  }
  return enums;
}

function protoLabels(type: DescEnum): Set<string> {
  const prefix = `${snakeCase(type.name).toUpperCase()}_`;
  return new Set(
    type.values
      .filter((value) => value.number !== 0)
      .map((value) => (value.name.startsWith(prefix) ? value.name.slice(prefix.length) : value.name)),
  );
}

/** The proto enum a PostgreSQL name stands for: the same name, else the longest it ends with. */
function counterpart(enums: Map<string, DescEnum>, name: string): DescEnum | undefined {
  const exact = enums.get(name);
  if (exact !== undefined) return exact;
  const endings = [...enums.keys()].filter((snake) => name.endsWith(`_${snake}`));
  endings.sort((a, b) => b.length - a.length);
  return endings[0] === undefined ? undefined : enums.get(endings[0]);
}

interface StoredSet {
  what: string;
  name: string;
  labels: string[];
}

/** PostgreSQL enums, and text columns whose CHECK lists their values (`col = ANY (ARRAY[...])` or `col IN (...)`). */
async function storedSets(client: pg.Client): Promise<StoredSet[]> {
  const enums = await client.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' GROUP BY t.typname`,
  );
  const checks = await client.query<{ table: string; column: string; definition: string }>(
    `SELECT c.relname AS table, a.attname AS column, pg_get_constraintdef(k.oid) AS definition
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
     WHERE k.contype = 'c' AND cardinality(k.conkey) = 1 AND n.nspname = 'public' AND NOT c.relispartition
       AND pg_get_constraintdef(k.oid) ~ '= ANY \\(ARRAY\\['`,
  );
  return [
    ...enums.rows.map((row) => ({ what: "PostgreSQL enum", name: row.name, labels: row.labels })),
    ...checks.rows.map((row) => ({
      what: `CHECK on ${row.table}.${row.column} named`,
      name: row.column,
      labels: [...row.definition.matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1]!.replaceAll("''", "'")),
    })),
  ];
}

/** One line per value stored on one side only, naming both enums and the value. */
export async function storedEnumProblems(client: pg.Client, descriptorSetFile: string): Promise<string[]> {
  const enums = await protoEnums(descriptorSetFile);
  const problems: string[] = [];
  for (const stored of await storedSets(client)) {
    const proto = counterpart(enums, stored.name);
    if (proto === undefined) continue;
    const inProto = protoLabels(proto);
    const inDatabase = new Set(stored.labels);
    const where = `${stored.what} ${stored.name}`;
    for (const label of inProto) {
      if (!inDatabase.has(label)) {
        problems.push(`proto enum ${proto.typeName} has ${label}, which ${where} lacks: storing it would fail`);
      }
    }
    for (const label of inDatabase) {
      if (!inProto.has(label)) {
        problems.push(`${where} has ${label}, which proto enum ${proto.typeName} lacks: reading it back would fail`);
      }
    }
  }
  return problems;
}
