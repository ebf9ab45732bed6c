import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ConfigError } from "../config.js";
import { RBAC_LIMITS, resourceProblem } from "./roles.js";

/** One line of the route table: requests with this method and path prefix need this permission. */
export interface Route {
  /** Upper case, or "*" for any. */
  method: string;
  pathPrefix: string;
  permission: string;
  /** The resource the permission is checked on; "" for none. */
  resource: string;
}

/** What a request needs, once its route is found. */
export interface RouteRequirement {
  permission: string;
  resource: string;
}

/** context_extensions keys (set per route in Envoy's ExtAuthzPerRoute) that override the table. */
export const EXTENSION_PERMISSION = "warden_permission";
export const EXTENSION_RESOURCE = "warden_resource";

const routeSchema = z
  .object({
    method: z
      .string()
      .regex(/^([A-Za-z]+|\*)$/)
      .transform((method) => method.toUpperCase()),
    path_prefix: z.string().startsWith("/"),
    permission: z.string().regex(RBAC_LIMITS.permission, "resource:action in lower case"),
    resource: z
      .string()
      .default("")
      .superRefine((resource, context) => {
        const problem = resourceProblem(resource);
        if (problem !== undefined) context.addIssue({ code: "custom", message: problem });
      }),
  })
  .strict();
const fileSchema = z.object({ routes: z.array(z.unknown()) }).strict();

/**
 * The route table from WARDEN_EXTAUTHZ_ROUTES_FILE: `{"routes": [{"method":
 * "GET", "path_prefix": "/orders", "permission": "orders:read"}, ...]}`.
 * Without a file the table is empty, and every request needs a permission
 * from its context_extensions.
 */
export async function loadRoutes(file: string | undefined): Promise<RouteTable> {
  if (file === undefined) return new RouteTable([]);
  const problem = (text: string) => new ConfigError([`WARDEN_EXTAUTHZ_ROUTES_FILE: ${file}: ${text}`]);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw problem(error instanceof Error ? error.message : String(error));
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw problem('expected {"routes": [ ... ]}');
  const problems: string[] = [];
  const routes = parsed.data.routes.flatMap((entry, index) => {
    const route = routeSchema.safeParse(entry);
    if (route.success) {
      const { method, path_prefix, permission, resource } = route.data;
      return [{ method, pathPrefix: path_prefix, permission, resource }];
    }
    const detail = route.error.issues.map((issue) => `${issue.path.join(".") || "route"}: ${issue.message}`);
    problems.push(`WARDEN_EXTAUTHZ_ROUTES_FILE: ${file}: routes[${index}]: ${detail.join("; ")}`);
    return [];
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return new RouteTable(routes);
}

/**
 * Characters a percent-escape in a normalised path never stands for: RFC
 * 3986's unreserved ones (`%61dmin` is "admin" to most upstreams), '/' and '\\'.
 */
const NEVER_ESCAPED = /^[A-Za-z0-9\-._~/\\]$/;

/**
 * Whether a request path (its query left out) is in the one spelling routes
 * are matched against: no "." or ".." segment, no empty segment but a
 * trailing one, no backslash, no ';' (path parameters: many upstreams read
 * "/admin;x" as "/admin") and no percent-escape of a NEVER_ESCAPED character.
 * Another spelling could reach, after the upstream's own normalisation, a
 * path its route does not cover. Envoy's normalize_path and merge_slashes
 * produce it, ';' aside: a path holding one is refused however it arrives.
 * Matching stays case-sensitive, as URLs are.
 */
export function isNormalizedPath(path: string): boolean {
  if (!path.startsWith("/") || /[\\;]/.test(path)) return false;
  const escaped = [...path.matchAll(/%([0-9a-f]{2})/gi)].map((match) => String.fromCharCode(parseInt(match[1]!, 16)));
  if (escaped.some((character) => NEVER_ESCAPED.test(character))) return false;
  const segments = path.slice(1).split("/");
  return segments.every(
    (segment, index) => segment !== "." && segment !== ".." && (segment !== "" || index === segments.length - 1),
  );
}

/** `path` is `prefix` itself or lies under it: "/orders" covers "/orders" and "/orders/7", not "/ordersX". */
function covers(prefix: string, path: string): boolean {
  return prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix || path.startsWith(`${prefix}/`);
}

/** Finds a request's route: the longest matching path prefix, a route for its method before one for any. */
export class RouteTable {
  private readonly routes: Route[];

  constructor(routes: Route[]) {
    this.routes = [...routes].sort(
      (a, b) => b.pathPrefix.length - a.pathPrefix.length || Number(a.method === "*") - Number(b.method === "*"),
    );
  }

  /**
   * What a request for `path` (without its query) needs; undefined when no
   * route matches and no extension names a permission.
   */
  requirement(method: string, path: string, extensions: Record<string, string>): RouteRequirement | undefined {
    const upper = method.toUpperCase();
    const route = this.routes.find(
      (candidate) => (candidate.method === "*" || candidate.method === upper) && covers(candidate.pathPrefix, path),
    );
    const permission = extensions[EXTENSION_PERMISSION] ?? route?.permission;
    if (permission === undefined) return undefined;
    return { permission, resource: extensions[EXTENSION_RESOURCE] ?? route?.resource ?? "" };
  }
}
