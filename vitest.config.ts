import { defineConfig } from "vitest/config";

// Each contract-drift case runs the whole `npm run check` on a scratch copy
// (about a minute each), so those cases are their own project: `npm run test:drift`.
const DRIFT = "test/contract-drift.test.ts";
const SETUP = ["test/support/global-setup.ts"];
// Verifying Warden's tokens from Python needs Debian's python3-cryptography, which CI installs
// after `npm test`: its own project, `npm run test:python`.
const PYTHON = "test/python-verify.test.ts";
// Fault suites (a process killed mid-load, a database frozen or stopped, a thousand silent connections) take
// their own step too, `npm run test:faults`, so that `npm test` stays within its five minutes.
const FAULTS = ["test/spool.test.ts", "test/outage.test.ts", "test/connections.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Memory tests collect garbage before they measure, so they see what is live.
    execArgv: ["--expose-gc"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["test/**/*.test.ts"],
          exclude: [DRIFT, PYTHON, ...FAULTS],
          globalSetup: SETUP,
          // Vitest's default on two cores is one worker, yet these files spend most of their time waiting on
          // servers, timers and PostgreSQL (each file has its own database): three at once keep both cores busy.
          maxWorkers: 3,
        },
      },
      { extends: true, test: { name: "faults", include: FAULTS, globalSetup: SETUP } },
      { extends: true, test: { name: "python", include: [PYTHON], globalSetup: SETUP } },
      { extends: true, test: { name: "drift", include: [DRIFT], globalSetup: SETUP } },
    ],
  },
});
