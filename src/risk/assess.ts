import { RiskLevel, RiskSignal, type FiredSignal, type RiskAssessment } from "../gen/warden/v1/risk.js";
import { attemptsInLastHour, type GeoPoint, type Observation, type Profile } from "./profile.js";
import type { RiskSettings } from "./settings.js";

/**
 * Tools, HTTP libraries and scanners. People log in through browsers and apps;
 * these on a person's account mean a script is driving it.
 */
const AUTOMATION_USER_AGENT =
  /\b(curl|wget|python-requests|python-urllib|python-httpx|aiohttp|go-http-client|okhttp|java\/|apache-httpclient|libwww-perl|httpie|postmanruntime|insomnia|scrapy|headlesschrome|phantomjs|selenium|puppeteer|playwright|nikto|sqlmap|nmap|masscan|zgrab|nuclei|hydra|burp|gobuster|dirbuster|wfuzz|ffuf)\b/i;

export function isAutomationUserAgent(userAgent: string): boolean {
  return AUTOMATION_USER_AGENT.test(userAgent);
}

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance (haversine). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function riskLevel(score: number): RiskLevel {
  if (score >= 75) return RiskLevel.CRITICAL;
  if (score >= 50) return RiskLevel.HIGH;
  if (score >= 25) return RiskLevel.MEDIUM;
  return RiskLevel.LOW;
}

const DAY_MS = 86_400_000;

/**
 * Scores a successful authentication against what the profile held before it.
 * Pure: the same profile, observation and settings always give the same result.
 */
export function assess(p: Profile, o: Observation, settings: RiskSettings): RiskAssessment {
  const signals: FiredSignal[] = [];
  const points = settings.points;
  const fire = (signal: RiskSignal, value: number, detail: string) => {
    const rounded = Math.round(value);
    if (rounded > 0) signals.push({ signal, points: rounded, detail });
  };
  const novelty = Math.min(1, p.successes / settings.coldStartSuccesses);
  const atMs = o.at.getTime();

  const networkSeenAt = o.network === null ? undefined : p.networks.lastSeen(o.network);
  if (o.network !== null && networkSeenAt === undefined) {
    fire(RiskSignal.NEW_NETWORK, points.NEW_NETWORK * novelty, `first authentication from ${o.network}`);
  }
  if (o.userAgent !== null && p.userAgents.lastSeen(o.userAgent) === undefined) {
    fire(RiskSignal.NEW_USER_AGENT, points.NEW_USER_AGENT * novelty, "first authentication with this user agent");
  }
  if (o.kind === "USER" && o.userAgent !== null && isAutomationUserAgent(o.userAgent)) {
    fire(
      RiskSignal.AUTOMATION_USER_AGENT,
      points.AUTOMATION_USER_AGENT,
      `automation user agent: ${o.userAgent.slice(0, 64)}`,
    );
  }
  if (p.successes > 0) {
    const hour = o.at.getUTCHours();
    const around = p.hourCounts[(hour + 23) % 24]! + p.hourCounts[hour]! + p.hourCounts[(hour + 1) % 24]!;
    if (around / p.successes < settings.rareHourShare) {
      fire(
        RiskSignal.RARE_HOUR,
        points.RARE_HOUR * novelty,
        `${around} of ${p.successes} successes near ${hour}:00 UTC`,
      );
    }
  }
  if (p.lastSeenMs !== null && atMs - p.lastSeenMs > settings.dormantDays * DAY_MS) {
    const days = Math.floor((atMs - p.lastSeenMs) / DAY_MS);
    fire(RiskSignal.DORMANT_ACCOUNT, points.DORMANT_ACCOUNT, `first authentication in ${days} days`);
  }
  const rate = attemptsInLastHour(p, o.at) + 1;
  if (rate > settings.velocityPerHour) {
    fire(RiskSignal.HIGH_VELOCITY, points.HIGH_VELOCITY, `about ${Math.round(rate)} attempts in the last hour`);
  }
  if (
    p.recentFailures >= settings.failuresBeforeSuccess &&
    p.lastFailureMs !== null &&
    atMs - p.lastFailureMs <= settings.failureWindowSeconds * 1000
  ) {
    fire(
      RiskSignal.FAILURES_BEFORE_SUCCESS,
      points.FAILURES_BEFORE_SUCCESS,
      `${p.recentFailures} failures just before`,
    );
  }
  if (o.location !== null && p.lastLocation !== null && p.lastLocatedMs !== null && atMs >= p.lastLocatedMs) {
    const km = distanceKm(p.lastLocation, o.location);
    const hours = (atMs - p.lastLocatedMs) / 3_600_000;
    const speed = hours === 0 ? Infinity : km / hours;
    if (km >= settings.travelMinKm && speed > settings.travelKmh) {
      const shown = Number.isFinite(speed) ? `${Math.round(speed)} km/h` : "at once";
      fire(
        RiskSignal.IMPOSSIBLE_TRAVEL,
        points.IMPOSSIBLE_TRAVEL,
        `${Math.round(km)} km from the previous location, ${shown}`,
      );
    }
  }
  if (o.network !== null) {
    const since = Math.floor(atMs / 1000) - settings.networkWindowSeconds;
    const recent = p.networks.countSince(since) + (networkSeenAt !== undefined && networkSeenAt >= since ? 0 : 1);
    const [signal, threshold] =
      o.kind === "SERVICE_TOKEN"
        ? [RiskSignal.TOKEN_MANY_NETWORKS, settings.tokenNetworks]
        : [RiskSignal.MANY_NETWORKS, settings.manyNetworks];
    if (recent >= threshold) {
      const minutes = Math.round(settings.networkWindowSeconds / 60);
      fire(
        signal,
        signal === RiskSignal.TOKEN_MANY_NETWORKS ? points.TOKEN_MANY_NETWORKS : points.MANY_NETWORKS,
        `${recent} networks in ${minutes} minutes`,
      );
    }
  }

  const score = Math.min(
    100,
    signals.reduce((sum, s) => sum + s.points, 0),
  );
  return { score, level: riskLevel(score), signals };
}
