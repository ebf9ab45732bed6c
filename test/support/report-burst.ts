/**
 * A reporting client in a process of its own, for a test that holds the
 * in-process server's event loop busy: the burst must reach the server's
 * socket while the server cannot run. Usage: report-burst.ts <address>
 * <subject> <count>, with the reporter's credential in WARDEN_TEST_BEARER.
 * It reports one event to connect, prints "ready", and on the line "go" sends
 * `count` valid LOGIN_FAILUREs for `subject` and one invalid event at once,
 * then prints the status codes, in that order, as a JSON array.
 */
import { createInterface } from "node:readline";
import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { AuthServiceClient, LogEventRequest } from "../../src/gen/warden/v1/auth_service.js";
import { AuthenticationEvent, EventType, Outcome, PrincipalKind } from "../../src/gen/warden/v1/event.js";
import { randomUUID } from "node:crypto";

const [address, subject, count] = process.argv.slice(2) as [string, string, string];
const client = new AuthServiceClient(address, credentials.createInsecure());
const metadata = new Metadata();
metadata.set("authorization", `Bearer ${process.env.WARDEN_TEST_BEARER}`);

const report = (ipAddress: string) =>
  new Promise<status>((resolve) => {
    const event = AuthenticationEvent.fromPartial({
      eventId: randomUUID(),
      type: EventType.LOGIN_FAILURE,
      outcome: Outcome.FAILURE,
      principal: { subject, kind: PrincipalKind.USER },
      client: { ipAddress },
    });
    client.logEvent(LogEventRequest.fromPartial({ event }), metadata, (error: ServiceError | null) =>
      resolve(error === null ? status.OK : error.code),
    );
  });

const connected = await report("192.0.2.1");
process.stdout.write(connected === status.OK ? "ready\n" : `not ready: ${status[connected]}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "go") continue;
  const codes = await Promise.all([
    ...Array.from({ length: Number(count) }, () => report("192.0.2.1")),
    report("not an address"),
  ]);
  process.stdout.write(`${JSON.stringify(codes)}\n`);
  break;
}
client.close();
