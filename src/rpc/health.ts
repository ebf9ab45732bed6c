import type { HealthImplementation } from "grpc-health-check";
import type { ServiceEntry } from "./edge/edge.js";

/**
 * What a service decides from, and so what it needs to serve: the database;
 * the credentials this replica can verify alone (JWKS, cached tokens within
 * the outage window, the last known lockouts); or its role snapshot, usable
 * until it goes unconfirmed for WARDEN_AUTHZ_MAX_AGE_MS.
 */
export type ServiceNeed = "database" | "credentials" | "role snapshot";

export interface WardenService extends ServiceEntry {
  needs: ServiceNeed;
}

/** What this replica can rely on now. */
export interface ServingConditions {
  /** Taking calls: false from shutdown on. */
  accepting: boolean;
  databaseUp: boolean;
  snapshotUsable: boolean;
}

function canServe(need: ServiceNeed, now: ServingConditions): boolean {
  if (!now.accepting) return false;
  switch (need) {
    case "database":
      return now.databaseUp;
    case "credentials":
      return true;
    case "role snapshot":
      return now.snapshotUsable;
  }
}

/**
 * The gRPC health of each service, and of the server as a whole ("": every
 * service serving), kept to what each can serve now. /readyz reads the same.
 */
export class ServiceHealth {
  private readonly serving = new Map<string, boolean>();

  constructor(
    /** The standard health service these statuses are served through. */
    readonly grpc: HealthImplementation,
    private readonly services: readonly WardenService[],
  ) {}

  update(conditions: ServingConditions): void {
    const each = this.services.map((entry) => [entry.name, canServe(entry.needs, conditions)] as const);
    this.set(
      "",
      each.every(([, serving]) => serving),
    );
    for (const [name, serving] of each) this.set(name, serving);
  }

  /** Whether `name` ("" for the whole server) is serving; undefined for a service Warden does not have. */
  isServing(name: string): boolean | undefined {
    return this.serving.get(name);
  }

  /** Every name and whether it serves, the server ("") first. */
  statuses(): [string, boolean][] {
    return [...this.serving.entries()];
  }

  private set(name: string, serving: boolean): void {
    if (this.serving.get(name) === serving) return;
    this.serving.set(name, serving);
    this.grpc.setStatus(name, serving ? "SERVING" : "NOT_SERVING");
  }
}
