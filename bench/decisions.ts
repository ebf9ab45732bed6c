/**
 * The in-process authorization decision, timed one call at a time: the
 * snapshot a replica builds from the bench database's roles, plus 100,000
 * synthetic subjects holding one to three roles each (some on a resource),
 * asked about random permissions.
 */
import { rbacVersion, snapshotAssignments, snapshotRolePermissions } from "../sql/queries/rbac.queries.js";
import type { Pool } from "../src/db/pool.js";
import { buildSnapshot, decide } from "../src/authz/snapshot.js";

export interface DecisionTimes {
  calls: number;
  subjects: number;
  roles: number;
  p50Micros: number;
  p99Micros: number;
}

const SUBJECTS = 100_000;

export async function decisionTimes(pool: Pool, calls: number): Promise<DecisionTimes> {
  const [version] = await rbacVersion.run(undefined, pool);
  const rolePermissions = await snapshotRolePermissions.run(undefined, pool);
  const assignments = await snapshotAssignments.run(undefined, pool);
  const roleNames = [...new Set(rolePermissions.map((row) => row.role))];
  const permissions = [...new Set(rolePermissions.map((row) => row.permission)), "absent:permission"];
  for (let i = 0; i < SUBJECTS; i += 1) {
    for (let held = 0; held <= i % 3; held += 1) {
      assignments.push({
        subject: `user:bench-${i}`,
        role: roleNames[(i + held * 7) % roleNames.length]!,
        resource: held === 2 ? `projects/${i % 500}` : "",
      });
    }
  }
  const snapshot = buildSnapshot({ version: Number(version!.version), rolePermissions, assignments });

  const samples = new Float64Array(calls);
  let allowed = 0;
  for (let i = 0; i < calls; i += 1) {
    const subject = `user:bench-${(i * 7919) % SUBJECTS}`;
    const permission = permissions[i % permissions.length]!;
    const resource = i % 4 === 0 ? `projects/${i % 500}/items/${i}` : "";
    const started = process.hrtime.bigint();
    const decision = decide(snapshot, { subject, scopes: ["events:write"] }, permission, resource);
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
    if (decision.allowed) allowed += 1;
  }
  if (allowed === 0 || allowed === calls)
    throw new Error("decision benchmark is degenerate: every answer was the same");
  samples.sort();
  const at = (p: number) => samples[Math.min(calls - 1, Math.floor((p / 100) * calls))]!;
  return { calls, subjects: SUBJECTS, roles: roleNames.length, p50Micros: at(50), p99Micros: at(99) };
}
