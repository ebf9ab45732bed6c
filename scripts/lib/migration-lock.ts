/**
 * sql/migrations.lock: the applied migration history, one `name sha256` line
 * per migration in the order they apply. It only grows: `npm run gen:sql`
 * appends new migrations, and `npm run check` fails when a migration in it
 * was edited, removed or reordered.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { readMigrationFiles, type MigrationFile } from "../../src/db/migrate.js";

export const LOCK_FILE = "sql/migrations.lock";
const MIGRATIONS = "sql/migrations";

export async function readLock(root: string): Promise<MigrationFile[]> {
  const text = await readFile(path.join(root, LOCK_FILE), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => {
      const [name = "", sha256 = ""] = line.trim().split(/\s+/);
      return { name, sha256 };
    });
}

export interface HistoryReport {
  /** Edits to the locked history, each naming the file: these fail the check. */
  violations: string[];
  /** Migrations after the locked history, not yet in the lock. */
  unlocked: MigrationFile[];
}

/** Compares the migration files with the lock. */
export function compareHistory(locked: MigrationFile[], files: MigrationFile[]): HistoryReport {
  const violations: string[] = [];
  const fileIndex = new Map(files.map((file, index) => [file.name, index]));
  let lastLockedIndex = -1;
  for (const entry of locked) {
    const index = fileIndex.get(entry.name);
    const file = `${MIGRATIONS}/${entry.name}.sql`;
    if (index === undefined) {
      violations.push(`${file} was removed, but it is in the applied history (${LOCK_FILE}); restore it`);
      continue;
    }
    if (files[index]!.sha256 !== entry.sha256) {
      violations.push(
        `${file} was edited after it was applied (locked sha256 ${entry.sha256.slice(0, 12)}…, file ${files[index]!.sha256.slice(0, 12)}…); restore it and add a new migration instead`,
      );
    }
    lastLockedIndex = Math.max(lastLockedIndex, index);
  }
  const lockedNames = new Set(locked.map((entry) => entry.name));
  const unlocked: MigrationFile[] = [];
  files.forEach((file, index) => {
    if (lockedNames.has(file.name)) return;
    if (index < lastLockedIndex) {
      violations.push(
        `${MIGRATIONS}/${file.name}.sql sorts before ${files[lastLockedIndex]!.name}, which is already applied; number it after the last migration`,
      );
    } else unlocked.push(file);
  });
  return { violations, unlocked };
}

export async function historyReport(root: string): Promise<HistoryReport> {
  const [locked, files] = await Promise.all([readLock(root), readMigrationFiles(path.join(root, MIGRATIONS))]);
  return compareHistory(locked, files);
}

/** Appends the unlocked migrations to the lock; refuses while the locked history was changed. */
export async function appendToLock(root: string): Promise<MigrationFile[]> {
  const { violations, unlocked } = await historyReport(root);
  if (violations.length > 0) throw new Error(`the migration history was changed:\n${violations.join("\n")}`);
  if (unlocked.length === 0) return [];
  const locked = await readLock(root);
  const lines = [...locked, ...unlocked].map((entry) => `${entry.name} ${entry.sha256}`);
  await writeFile(
    path.join(root, LOCK_FILE),
    `# Applied migration history: append-only, appended by \`npm run gen:sql\`.\n${lines.join("\n")}\n`,
  );
  return unlocked;
}
