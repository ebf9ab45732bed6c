import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** True when running the compiled output under dist/ rather than the TypeScript sources. */
export const isCompiled = here.split(path.sep).includes("dist");
/** The folder holding package.json, sql/ and proto/, whether running from src/ or dist/src/. */
export const PROJECT_ROOT = path.resolve(here, isCompiled ? "../.." : "..");
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "sql", "migrations");
