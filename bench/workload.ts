/**
 * Event traffic for the ingest phases. `mixEvent` is what a login page
 * reports: subjects drawn Zipf-like from a fixed population, each logging in
 * from a few usual networks and user agents, about 85 % successes, 10 %
 * password failures and 5 % other types. `newSubjectEvent` is the worst case
 * kept beside it: every event a never-seen subject from a new address.
 */
import { randomUUID } from "node:crypto";
import { AuthenticationEvent, EventType, FailureReason, Outcome, PrincipalKind } from "../src/gen/warden/v1/event.js";

export const MIX_USERS = 100_000;

/** Deterministic uniform numbers in [0, 1), so every run offers the same traffic. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Cumulative weights of rank^-s over the population: a Zipf distribution to draw ranks from. */
function zipfCumulative(n: number, s: number): Float64Array {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let rank = 0; rank < n; rank += 1) {
    sum += 1 / Math.pow(rank + 1, s);
    cumulative[rank] = sum;
  }
  for (let rank = 0; rank < n; rank += 1) cumulative[rank]! /= sum;
  return cumulative;
}

function draw(cumulative: Float64Array, u: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cumulative[middle]! < u) low = middle + 1;
    else high = middle;
  }
  return low;
}

const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "okhttp/4.12.0",
  "MyBank-Android/8.3.1",
];

/**
 * A user's usual address: a host in one of its 1–3 home /24s, drawn from
 * 100.64.0.0/10 (apart from the worst case's 10/8), which neighbours share as
 * they share an ISP's.
 */
function usualAddress(user: number, random: () => number): string {
  const network = (user * 3 + Math.floor(random() * (1 + (user % 3)))) % 16_384;
  return `100.${64 + (network >> 8)}.${network & 255}.${1 + Math.floor(random() * 254)}`;
}

const OTHER_TYPES = [EventType.LOGOUT, EventType.SESSION_EXPIRED, EventType.PASSWORD_CHANGED] as const;

/** `count` realistic login-page events, the same ones for the same seed. */
export function mixEvents(count: number, seed: number): AuthenticationEvent[] {
  const random = mulberry32(seed);
  const ranks = zipfCumulative(MIX_USERS, 1.0);
  return Array.from({ length: count }, () => {
    const user = draw(ranks, random());
    const kind = random();
    // 2 % of logins come from somewhere new: travel, a new phone.
    const ip =
      random() < 0.02
        ? `198.51.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`
        : usualAddress(user, random);
    const userAgent = USER_AGENTS[(user + (random() < 0.8 ? 0 : 1)) % USER_AGENTS.length]!;
    const outcome =
      kind < 0.85
        ? { type: EventType.LOGIN_SUCCESS, outcome: Outcome.SUCCESS }
        : kind < 0.95
          ? { type: EventType.LOGIN_FAILURE, outcome: Outcome.FAILURE, failureReason: FailureReason.INVALID_PASSWORD }
          : { type: OTHER_TYPES[Math.floor(random() * OTHER_TYPES.length)]!, outcome: Outcome.SUCCESS };
    return AuthenticationEvent.fromPartial({
      eventId: randomUUID(),
      ...outcome,
      principal: { subject: `user-${user}`, kind: PrincipalKind.USER },
      client: { ipAddress: ip, userAgent },
      sourceService: "bench",
    });
  });
}

/**
 * The worst case: a never-seen subject from a new address each time, one
 * attempt in ten failing, so every event creates a profile and a network.
 */
export function newSubjectEvent(i: number): AuthenticationEvent {
  return AuthenticationEvent.fromPartial({
    eventId: randomUUID(),
    ...(i % 10 === 0
      ? { type: EventType.LOGIN_FAILURE, outcome: Outcome.FAILURE, failureReason: FailureReason.INVALID_PASSWORD }
      : { type: EventType.LOGIN_SUCCESS, outcome: Outcome.SUCCESS }),
    principal: { subject: `bench-user-${i}`, kind: PrincipalKind.USER },
    client: { ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, userAgent: "bench/1.0" },
    sourceService: "bench",
  });
}
