import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface OpsServer {
  server: Server;
  port: number;
}

/** The serving state /readyz reports, as gRPC health does: by service, "" for the whole server. */
export interface Readiness {
  isServing(service: string): boolean | undefined;
  statuses(): [string, boolean][];
}

/**
 * Plain HTTP beside gRPC for orchestrators and scrapers: /metrics (Prometheus),
 * /healthz (the process is alive) and /readyz (every service can serve;
 * `?service=<name>` asks about one). Readiness is answered from state kept
 * current off the request path, so it never waits on the database. Any JSON
 * `documents` are served by path, such as the token issuer's JWKS and
 * discovery document.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  readiness: Readiness;
  documents?: ReadonlyMap<string, { body: () => unknown; maxAgeSeconds: number }>;
}): Promise<OpsServer> {
  const server = createServer((request, response) => {
    const respond = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      response.writeHead(code, { "content-type": type });
      response.end(body);
    };
    const url = new URL(request.url ?? "/", "http://ops");
    switch (url.pathname) {
      case "/metrics":
        options.registry.metrics().then(
          (body) => respond(200, body, options.registry.contentType),
          () => respond(500, "metrics unavailable\n"),
        );
        return;
      case "/healthz":
        respond(200, "ok\n");
        return;
      case "/readyz": {
        const service = url.searchParams.get("service") ?? "";
        const ready = options.readiness.isServing(service);
        if (ready === undefined) {
          respond(404, "no such service\n");
          return;
        }
        const lines = options.readiness
          .statuses()
          .map(([name, serving]) => `${name === "" ? "(server)" : name} ${serving ? "SERVING" : "NOT_SERVING"}\n`);
        respond(ready ? 200 : 503, `${ready ? "ready" : "not ready"}\n${lines.join("")}`);
        return;
      }
      default: {
        const document = options.documents?.get(url.pathname);
        if (document === undefined) {
          respond(404, "not found\n");
          return;
        }
        response.writeHead(200, {
          "content-type": "application/json",
          "cache-control": `public, max-age=${document.maxAgeSeconds}`,
        });
        response.end(JSON.stringify(document.body()));
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
