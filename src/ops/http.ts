import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface OpsServer {
  server: Server;
  port: number;
}

/**
 * Plain HTTP beside gRPC for orchestrators and scrapers: /metrics (Prometheus),
 * /healthz (the process is alive) and /readyz (it can serve: accepting calls
 * and the database answers); and any JSON `documents` by path, such as the
 * token issuer's JWKS and discovery document.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  ready: () => Promise<boolean>;
  documents?: ReadonlyMap<string, { body: () => unknown; maxAgeSeconds: number }>;
}): Promise<OpsServer> {
  const server = createServer((request, response) => {
    const respond = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      response.writeHead(code, { "content-type": type });
      response.end(body);
    };
    switch (request.url) {
      case "/metrics":
        options.registry.metrics().then(
          (body) => respond(200, body, options.registry.contentType),
          () => respond(500, "metrics unavailable\n"),
        );
        return;
      case "/healthz":
        respond(200, "ok\n");
        return;
      case "/readyz":
        options.ready().then(
          (ready) => respond(ready ? 200 : 503, ready ? "ready\n" : "not ready\n"),
          () => respond(503, "not ready\n"),
        );
        return;
      default: {
        const document = request.url === undefined ? undefined : options.documents?.get(request.url);
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
