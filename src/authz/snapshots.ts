import {
  checkInDatabase,
  rbacVersion,
  snapshotAssignments,
  snapshotRolePermissions,
} from "../../sql/queries/rbac.queries.js";
import { withDatabaseErrors } from "../db/errors.js";
import { withTransaction, type Pool } from "../db/pool.js";
import { InvalidArgumentError } from "../errors.js";
import { AccessReason, type AccessDecision } from "../gen/warden/v1/access_service.js";
import { FailureReason } from "../gen/warden/v1/event.js";
import type { Logger } from "../log.js";
import { PeriodicTask } from "../ops/periodic.js";
import { accessDecision, buildSnapshot, decide, type AccessSubject, type RoleSnapshot } from "./snapshot.js";

export interface SnapshotSettings {
  /** A snapshot not confirmed current for this long is not used: checks are denied. */
  maxAgeMs: number;
  /** How often the RBAC version is polled, as a backstop for missed notifications. */
  pollMs: number;
  /** How long a check with a min_version waits for the snapshot before asking the database. */
  minVersionWaitMs: number;
}

export const DEFAULT_SNAPSHOT_SETTINGS: SnapshotSettings = { maxAgeMs: 30_000, pollMs: 5_000, minVersionWaitMs: 250 };

export interface CheckItem {
  permission: string;
  resource: string;
}

/**
 * This replica's copy of the RBAC state. It is reloaded when a notification
 * names another version, whenever the notification connection (re)connects,
 * and when the poll finds the version moved; each load or poll that finds it
 * current confirms it. Decisions are made from it in memory, and refused when
 * there is none or it has gone unconfirmed for longer than maxAgeMs.
 */
export class RoleSnapshots {
  private snapshot: RoleSnapshot | undefined;
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;
  private loadAgain = false;
  private readonly waiters = new Set<() => void>();
  private readonly poll: PeriodicTask;

  constructor(
    private readonly pool: Pool,
    private readonly settings: SnapshotSettings,
    private readonly log: Logger,
    /** Milliseconds on a clock that never goes back. */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.poll = new PeriodicTask(
      () => this.checkVersion(),
      settings.pollMs,
      (error) => log.warn({ err: error }, "could not poll the RBAC version"),
    );
  }

  get version(): number {
    return this.snapshot?.version ?? 0;
  }

  start(): void {
    this.poll.start();
    void this.reload();
  }

  async stop(): Promise<void> {
    await this.poll.stop();
    await this.loading;
  }

  /**
   * A notification: `payload` is the version a change committed. Any other
   * version than the snapshot's means a reload, a lower one too (a database
   * restored from a backup must not leave replicas on the newer, lost state).
   */
  notified(payload: string): void {
    if (Number(payload) !== this.version) void this.reload();
  }

  /** Loads the whole snapshot; a load asked for while one runs is run once after it. */
  reload(): Promise<void> {
    if (this.loading !== undefined) {
      this.loadAgain = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.loadAgain = false;
        await this.load().catch((error: unknown) => this.log.warn({ err: error }, "could not load the RBAC snapshot"));
      } while (this.loadAgain);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const startedAt = this.clock();
    const rows = await withTransaction(
      this.pool,
      async (client) => {
        const [version] = await rbacVersion.run(undefined, client);
        return {
          version: Number(version!.version),
          rolePermissions: await snapshotRolePermissions.run(undefined, client),
          assignments: await snapshotAssignments.run(undefined, client),
        };
      },
      { isolation: "REPEATABLE READ", readOnly: true },
    );
    // Loads run one at a time, so this is never older than the snapshot it replaces.
    this.snapshot = buildSnapshot(rows);
    this.confirmedAt = startedAt;
    for (const wake of this.waiters) wake();
  }

  private async checkVersion(): Promise<void> {
    const startedAt = this.clock();
    const [row] = await rbacVersion.run(undefined, this.pool);
    if (this.snapshot === undefined || Number(row!.version) !== this.version) await this.reload();
    else this.confirmedAt = Math.max(this.confirmedAt, startedAt);
  }

  /** Whether checks can be decided now (a snapshot, confirmed within maxAgeMs). */
  get usable(): boolean {
    return typeof this.usableSnapshot() === "object";
  }

  /** The snapshot to decide from, or why there is none fit to use. */
  private usableSnapshot(): RoleSnapshot | AccessReason {
    if (this.snapshot === undefined) return AccessReason.NO_SNAPSHOT;
    if (this.clock() - this.confirmedAt > this.settings.maxAgeMs) return AccessReason.STALE_SNAPSHOT;
    return this.snapshot;
  }

  /** Resolves once the snapshot reaches `version`, or after `waitMs`. */
  private async caughtUp(version: number, waitMs: number): Promise<boolean> {
    if (this.version >= version) return true;
    void this.reload();
    return new Promise<boolean>((resolve) => {
      const done = () => {
        if (this.version < version && !timedOut) return;
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.version >= version);
      };
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        done();
      }, waitMs);
      this.waiters.add(done);
    });
  }

  /**
   * Decides each item at one version. With `minVersion` ahead of the snapshot,
   * waits briefly for it and otherwise decides from the database.
   */
  async decide(who: AccessSubject, items: readonly CheckItem[], minVersion: number): Promise<AccessDecision[]> {
    if (minVersion > this.version && !(await this.caughtUp(minVersion, this.settings.minVersionWaitMs))) {
      return this.decideInDatabase(who, items, minVersion);
    }
    const snapshot = this.usableSnapshot();
    if (typeof snapshot === "number") {
      return items.map(() =>
        accessDecision(snapshot, this.version, { failureReason: FailureReason.AUTHORIZATION_UNAVAILABLE }),
      );
    }
    return items.map((item) => decide(snapshot, who, item.permission, item.resource));
  }

  private async decideInDatabase(
    who: AccessSubject,
    items: readonly CheckItem[],
    minVersion: number,
  ): Promise<AccessDecision[]> {
    let rows;
    try {
      rows = await withDatabaseErrors(() =>
        checkInDatabase.run(
          {
            subject: who.subject,
            permissions: items.map((item) => item.permission),
            resources: items.map((item) => item.resource),
          },
          this.pool,
        ),
      );
    } catch (error) {
      this.log.warn({ err: error }, "could not check access in the database");
      return items.map(() =>
        accessDecision(AccessReason.UNAVAILABLE, this.version, {
          failureReason: FailureReason.AUTHORIZATION_UNAVAILABLE,
        }),
      );
    }
    return rows.map((row, index) => {
      const version = Number(row.version);
      if (version < minVersion) {
        throw new InvalidArgumentError("min_version", `ahead of the current RBAC version ${version}`);
      }
      if (who.scopes.includes(items[index]!.permission)) return accessDecision(AccessReason.GRANTED_BY_SCOPE, version);
      if (row.granted_by === null) return accessDecision(AccessReason.NO_PERMISSION, version);
      return accessDecision(AccessReason.GRANTED_BY_ROLE, version, {
        assignedRole: row.assigned_role ?? "",
        grantedBy: row.granted_by,
      });
    });
  }
}
