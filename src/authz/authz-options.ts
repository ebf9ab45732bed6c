import { flag, milliseconds, optionalText, type SettingValues } from "../settings.js";
import { DEFAULT_SNAPSHOT_SETTINGS, type SnapshotSettings } from "./snapshots.js";

/** Authorization's settings: the role snapshot's freshness, and the ext_authz adapter's routes. */
export const authzEnvironment = {
  WARDEN_AUTHZ_MAX_AGE_MS: milliseconds(DEFAULT_SNAPSHOT_SETTINGS.maxAgeMs),
  WARDEN_AUTHZ_POLL_MS: milliseconds(DEFAULT_SNAPSHOT_SETTINGS.pollMs),
  WARDEN_AUTHZ_MIN_VERSION_WAIT_MS: milliseconds(DEFAULT_SNAPSHOT_SETTINGS.minVersionWaitMs),
  WARDEN_EXTAUTHZ_ROUTES_FILE: optionalText,
  WARDEN_EXTAUTHZ_STRIP_AUTHORIZATION: flag.default(false),
};

export interface ExtAuthzOptions {
  /** The JSON file mapping method and path prefix to a permission; absent: every request needs a permission from its context_extensions. */
  routesFile: string | undefined;
  /** Remove the `authorization` header from allowed requests before they go upstream. */
  stripAuthorization: boolean;
}

export function compileAuthzOptions(env: SettingValues<typeof authzEnvironment>): {
  snapshots: SnapshotSettings;
  extAuthz: ExtAuthzOptions;
} {
  return {
    snapshots: {
      maxAgeMs: env.WARDEN_AUTHZ_MAX_AGE_MS,
      pollMs: env.WARDEN_AUTHZ_POLL_MS,
      minVersionWaitMs: env.WARDEN_AUTHZ_MIN_VERSION_WAIT_MS,
    },
    extAuthz: {
      routesFile: env.WARDEN_EXTAUTHZ_ROUTES_FILE,
      stripAuthorization: env.WARDEN_EXTAUTHZ_STRIP_AUTHORIZATION,
    },
  };
}
