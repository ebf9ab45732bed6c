/** The migration lock: sql/migrations.lock holds the applied history, which only grows. */
import { describe, expect, it } from "vitest";
import { readMigrationFiles } from "../src/db/migrate.js";
import { MIGRATIONS_DIR, PROJECT_ROOT } from "../src/paths.js";
import { compareHistory, readLock } from "../scripts/lib/migration-lock.js";

describe("the migration lock", () => {
  const sha = (c: string) => c.repeat(64);
  const locked = [
    { name: "0001_a", sha256: sha("1") },
    { name: "0002_b", sha256: sha("2") },
  ];

  it("accepts the locked history with new migrations after it, which it lists to append", () => {
    const report = compareHistory(locked, [...locked, { name: "0003_c", sha256: sha("3") }]);
    expect(report).toEqual({ violations: [], unlocked: [{ name: "0003_c", sha256: sha("3") }] });
  });

  it("names a removed migration", () => {
    expect(compareHistory(locked, [locked[1]!]).violations).toEqual([
      expect.stringMatching(/^sql\/migrations\/0001_a\.sql was removed/),
    ]);
  });

  it("names a migration slipped in before the last applied one (a reorder)", () => {
    const files = [locked[0]!, { name: "0001_z", sha256: sha("9") }, locked[1]!];
    expect(compareHistory(locked, files).violations).toEqual([
      expect.stringMatching(/^sql\/migrations\/0001_z\.sql sorts before 0002_b, which is already applied/),
    ]);
  });

  it("holds the repository's migrations to the committed lock", async () => {
    const report = compareHistory(await readLock(PROJECT_ROOT), await readMigrationFiles(MIGRATIONS_DIR));
    expect(report).toEqual({ violations: [], unlocked: [] });
  });
});
