import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Memory tests collect garbage before they measure, so they see what is live.
    execArgv: ["--expose-gc"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
