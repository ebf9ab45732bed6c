import { open, type CityResponse } from "maxmind";
import type { GeoPoint } from "./profile.js";

export interface Place {
  location: GeoPoint | null;
  country: string | null;
}

/** Where an address is, from a local database; undefined when it does not know. */
export type Locator = (address: string) => Place | undefined;

/**
 * A locator over a MaxMind database file (GeoIP2 / GeoLite2, City or
 * Country). Lookups are in memory; the file is reloaded when it changes.
 */
export async function geoipLocator(file: string): Promise<Locator> {
  const reader = await open<CityResponse>(file, { watchForUpdates: true, watchForUpdatesNonPersistent: true });
  return (address) => {
    const found = reader.get(address);
    if (found === null) return undefined;
    const location = found.location;
    const country = found.country?.iso_code ?? null;
    if (location === undefined && country === null) return undefined;
    return {
      location: location === undefined ? null : { latitude: location.latitude, longitude: location.longitude },
      country,
    };
  };
}
