/**
 * One test per failure of the system Warden replaces, so none can come back.
 * (The database hang has its own file: resilience.test.ts.)
 */
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { LogEventRequest, ListEventsRequest } from "../src/gen/warden/v1/auth_service.js";
import { AuthenticationEvent, EventType, Outcome, PrincipalKind } from "../src/gen/warden/v1/event.js";
import { generateSqlTypes } from "../scripts/lib/generate.js";
import { withScratchDatabase } from "../scripts/lib/scratch-db.js";
import { startTestWarden } from "./support/warden.js";

describe("an event written to a table that does not exist (security_events_monitor)", () => {
  it("is a generation error, even though pgtyped itself exits 0", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "warden-regression-"));
    const out = await mkdtemp(path.join(tmpdir(), "warden-regression-out-"));
    try {
      for (const entry of ["sql/migrations", "sql/queries"]) {
        await cp(path.join(process.cwd(), entry), path.join(root, entry), { recursive: true });
      }
      await writeFile(path.join(root, "pgtyped.json"), await readFile("pgtyped.json"));
      await writeFile(
        path.join(root, "sql/queries/monitor.sql"),
        "/* @name RecordMonitorEvent */\nINSERT INTO security_events_monitor (event_id) VALUES (:eventId);\n",
      );
      await symlink(path.join(process.cwd(), "node_modules"), path.join(root, "node_modules"), "dir");
      const errors = await withScratchDatabase(inject("adminDatabaseUrl"), "warden_regression", (url) =>
        generateSqlTypes(root, url, out),
      );
      expect(errors.join("\n")).toContain('relation "security_events_monitor" does not exist');
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe("a field the event model does not have (service_token_name)", () => {
  it("is part of the one event shape and survives the round trip", async () => {
    const t = await startTestWarden();
    try {
      const event = AuthenticationEvent.fromPartial({
        type: EventType.TOKEN_AUTH_SUCCESS,
        outcome: Outcome.SUCCESS,
        principal: { subject: "svc-1", kind: PrincipalKind.SERVICE_TOKEN, serviceTokenName: "deploy-bot" },
      });
      await t.client.logEvent(LogEventRequest.fromPartial({ event }));
      const { events } = await t.listEvents(ListEventsRequest.fromPartial({ subject: "svc-1" }));
      expect(events[0]?.principal?.serviceTokenName).toBe("deploy-bot");
    } finally {
      await t.stop();
    }
  });

  it("cannot be misspelled: the compiler rejects fields the proto does not define", () => {
    const event: AuthenticationEvent = {
      ...AuthenticationEvent.fromPartial({ type: EventType.LOGOUT, outcome: Outcome.SUCCESS }),
      // @ts-expect-error `npm run check` (tsc) fails if this ever compiles.
      serviceTokenNam: "typo",
    };
    expect(event.type).toBe(EventType.LOGOUT);
  });
});

describe("a second database (SQLite beside PostgreSQL)", () => {
  it("has no SQLite, PGlite or other database engine anywhere in the dependency tree", async () => {
    const lock = JSON.parse(await readFile("package-lock.json", "utf8")) as { packages: Record<string, unknown> };
    const engines = Object.keys(lock.packages).filter((name) =>
      /(^|\/)(sqlite3?|better-sqlite3|sql\.js|@electric-sql\/pglite|mysql2?|mongodb|redis|ioredis|level|lmdb)$/.test(
        name,
      ),
    );
    expect(engines).toEqual([]);
  });

  it("imports no database client but pg in application code", async () => {
    const files = (await readdir("src", { recursive: true })).filter(
      (file) => file.endsWith(".ts") && !file.startsWith("gen"),
    );
    const offenders: string[] = [];
    for (const file of files) {
      const source = await readFile(path.join("src", file), "utf8");
      for (const match of source.matchAll(/from "([^"]+)"/g)) {
        if (/sqlite|pglite|mysql|mongo|redis|knex|typeorm|sequelize|prisma/i.test(match[1]!))
          offenders.push(`${file}: ${match[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
