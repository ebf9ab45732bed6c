import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ConfigError } from "../config.js";
import type {
  alert_severity,
  event_outcome,
  event_severity,
  event_type,
  failure_reason,
  IEventsForAlertsResult,
  principal_kind,
} from "../../sql/queries/alerts.queries.js";
import { EventType, FailureReason, Outcome, PrincipalKind, Severity } from "../gen/warden/v1/event.js";

/** An event as the rules see it. */
export type RuleEvent = IEventsForAlertsResult;

const protoNames = (enumObject: Record<string, string | number>) =>
  Object.keys(enumObject).filter((key) => Number.isNaN(Number(key)) && key !== "UNSPECIFIED" && key !== "UNRECOGNIZED");

const names = <T extends string>(enumObject: Record<string, string | number>) =>
  z.array(z.enum(protoNames(enumObject) as [T, ...T[]])).min(1);

const GROUP_BY = ["subject", "ip", "token", "source", "none"] as const;
const seconds = z
  .number()
  .int()
  .min(1)
  .max(30 * 24 * 3600);

const matchSchema = z
  .object({
    type: names<event_type>(EventType),
    severity: names<event_severity>(Severity),
    outcome: names<event_outcome>(Outcome),
    failure_reason: names<failure_reason>(FailureReason),
    principal_kind: names<principal_kind>(PrincipalKind),
    details: z.record(z.string(), z.string()),
  })
  .partial()
  .strict()
  .refine((match) => Object.keys(match).length > 0, "match at least one field");

const severitySchema = z.enum(["LOW", "MEDIUM", "HIGH", "CRITICAL"]);

/** Longest rule name; ListAlerts refuses a longer filter, which could match nothing. */
export const MAX_RULE_NAME_LENGTH = 63;
const ruleName = z
  .string()
  .regex(
    new RegExp(`^[a-z0-9][a-z0-9-]{0,${MAX_RULE_NAME_LENGTH - 1}}$`),
    `lower-case letters, digits and dashes, at most ${MAX_RULE_NAME_LENGTH}`,
  );

const thresholdRule = z
  .object({
    name: ruleName,
    match: matchSchema,
    group_by: z.enum(GROUP_BY),
    threshold: z.number().int().min(1).max(100_000).default(1),
    window_seconds: seconds.default(300),
    severity: severitySchema,
    cooldown_seconds: seconds.default(900),
  })
  .strict();

const escalationRule = z
  .object({
    name: ruleName,
    escalation: z.object({ alerts: z.number().int().min(2).max(1000), window_seconds: seconds }).strict(),
    severity: severitySchema,
    cooldown_seconds: seconds.default(3600),
  })
  .strict();

const fileSchema = z.object({ rules: z.array(z.unknown()).min(1) }).strict();

export type ThresholdRule = z.output<typeof thresholdRule>;
export type EscalationRule = z.output<typeof escalationRule>;

export interface AlertRules {
  threshold: ThresholdRule[];
  /** Many alerts about one subject (from rules grouped by subject) in a short time. */
  escalation: EscalationRule | undefined;
}

/** The rules used without a rules file; a file replaces them all. */
export const DEFAULT_RULES: unknown[] = [
  { name: "brute-force", match: { type: ["BRUTE_FORCE_DETECTED"] }, group_by: "ip", severity: "HIGH" },
  { name: "account-locked", match: { type: ["ACCOUNT_LOCKED"] }, group_by: "subject", severity: "MEDIUM" },
  {
    name: "suspicious-activity",
    match: { type: ["SUSPICIOUS_ACTIVITY"], severity: ["WARNING"] },
    group_by: "subject",
    severity: "MEDIUM",
  },
  {
    name: "suspicious-activity-critical",
    match: { type: ["SUSPICIOUS_ACTIVITY"], severity: ["CRITICAL"] },
    group_by: "subject",
    severity: "HIGH",
  },
  {
    name: "emergency-token-revocation",
    match: { type: ["SERVICE_TOKEN_REVOKED"], details: { emergency: "revoke_all" } },
    group_by: "none",
    severity: "CRITICAL",
    cooldown_seconds: 3600,
  },
  {
    name: "service-token-failures",
    match: { type: ["TOKEN_AUTH_FAILURE"], principal_kind: ["SERVICE_TOKEN"] },
    group_by: "token",
    threshold: 10,
    window_seconds: 300,
    severity: "HIGH",
  },
  {
    name: "system-errors",
    match: { type: ["SYSTEM_ERROR"] },
    group_by: "source",
    threshold: 5,
    window_seconds: 300,
    severity: "HIGH",
  },
  { name: "escalation", escalation: { alerts: 3, window_seconds: 1800 }, severity: "CRITICAL" },
];

/** Validates rules, naming every problem by rule index and name. */
export function parseRules(raw: unknown[]): AlertRules {
  const problems: string[] = [];
  const threshold: ThresholdRule[] = [];
  const escalation: EscalationRule[] = [];
  const seen = new Set<string>();
  raw.forEach((candidate, index) => {
    const name =
      typeof candidate === "object" && candidate !== null && "name" in candidate ? String(candidate.name) : "?";
    const label = `rules[${index}] (${name})`;
    const isEscalation = typeof candidate === "object" && candidate !== null && "escalation" in candidate;
    const parsed = (isEscalation ? escalationRule : thresholdRule).safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${label}${issue.path.length > 0 ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
      }
      return;
    }
    if (seen.has(parsed.data.name)) problems.push(`${label}: a rule with this name comes earlier`);
    seen.add(parsed.data.name);
    if ("escalation" in parsed.data) escalation.push(parsed.data);
    else threshold.push(parsed.data);
  });
  if (escalation.length > 1) problems.push(`rules: at most one escalation rule (found ${escalation.length})`);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `WARDEN_ALERT_RULES_FILE: ${problem}`));
  return { threshold, escalation: escalation[0] };
}

/** The rules from a JSON file (`{"rules": [...]}`), or the defaults without one. */
export async function loadRules(file: string | undefined): Promise<AlertRules> {
  if (file === undefined) return parseRules(DEFAULT_RULES);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new ConfigError([
      `WARDEN_ALERT_RULES_FILE: ${file}: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError([`WARDEN_ALERT_RULES_FILE: ${file}: expected {"rules": [ ... ]} with at least one rule`]);
  }
  return parseRules(parsed.data.rules);
}

const includes = <T>(allowed: T[] | undefined, value: T | null) =>
  allowed === undefined || (value !== null && allowed.includes(value));

export function matches(rule: ThresholdRule, event: RuleEvent): boolean {
  const m = rule.match;
  if (!includes(m.type, event.type) || !includes(m.severity, event.severity) || !includes(m.outcome, event.outcome)) {
    return false;
  }
  if (!includes(m.failure_reason, event.failure_reason) || !includes(m.principal_kind, event.principal_kind)) {
    return false;
  }
  if (m.details === undefined) return true;
  const details = event.details as Record<string, string>;
  return Object.entries(m.details).every(([key, value]) => details[key] === value);
}

/** The group an event falls in under `rule`, e.g. "subject:alice"; undefined when the event lacks it. */
export function groupOf(rule: ThresholdRule, event: RuleEvent): string | undefined {
  const value = {
    subject: event.subject,
    ip: event.client_ip,
    token: event.token_id ?? event.service_token_name,
    source: event.source_service,
    none: "",
  }[rule.group_by];
  if (value === null) return undefined;
  return rule.group_by === "none" ? "all" : `${rule.group_by}:${value}`;
}

export type AlertSeverityName = alert_severity;
