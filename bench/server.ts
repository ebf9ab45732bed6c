/**
 * The server under test, in a process of its own so its CPU time can be read
 * alone. Configured from the environment like `warden serve`; logs go where
 * production logs go (stdout), which the bench discards. Over IPC it answers
 * "cpu" with process.cpuUsage() and "stop" with a graceful stop.
 */
// First, as in the CLI: tracing (when OTEL_* asks for it) must start before gRPC and pg load.
import "../src/ops/tracing.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { startWarden } from "../src/main.js";

const config = loadConfig();
const warden = await startWarden(config, createLogger(config.logLevel));
process.send!({ ready: { grpcPort: warden.grpcPort, httpPort: warden.httpPort } });
process.on("message", (message: string) => {
  if (message === "cpu") process.send!({ cpu: process.cpuUsage() });
  if (message === "stop") {
    void warden.stop().then(() => process.send!({ stopped: true }, () => process.exit(0)));
  }
});
