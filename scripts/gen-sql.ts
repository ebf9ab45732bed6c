/**
 * `npm run gen:sql`: appends new migrations to sql/migrations.lock, then
 * regenerates sql/queries/*.queries.ts against a freshly migrated scratch database.
 */
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateSqlTypes } from "./lib/generate.js";
import { appendToLock } from "./lib/migration-lock.js";
import { adminDatabase, withScratchDatabase } from "./lib/scratch-db.js";

const root = process.cwd();
for (const migration of await appendToLock(root)) console.log(`locked sql/migrations/${migration.name}.sql`);
const out = await mkdtemp(path.join(tmpdir(), "warden-sql-"));
const admin = await adminDatabase(root);
try {
  const errors = await withScratchDatabase(admin.url, "warden_gen", (url) => generateSqlTypes(root, url, out));
  if (errors.length > 0) {
    console.error(`pgtyped rejected queries against the migrated schema:\n${errors.join("\n")}`);
    process.exitCode = 1;
  } else {
    const queries = path.join(root, "sql", "queries");
    for (const file of await readdir(queries)) {
      if (file.endsWith(".queries.ts")) await rm(path.join(queries, file));
    }
    for (const file of await readdir(path.join(out, "sql", "queries"))) {
      if (file.endsWith(".queries.ts")) await cp(path.join(out, "sql", "queries", file), path.join(queries, file));
    }
    console.log("regenerated sql/queries/*.queries.ts");
  }
} finally {
  await admin.release();
  await rm(out, { recursive: true, force: true });
}
