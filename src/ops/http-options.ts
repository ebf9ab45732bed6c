import { z } from "zod";
import { port, type SettingValues } from "../settings.js";

/** The metrics and health listener's settings. */
export const httpEnvironment = {
  WARDEN_HTTP_HOST: z.string().default("0.0.0.0"),
  WARDEN_HTTP_PORT: port(9464),
};

export interface HttpOptions {
  host: string;
  port: number;
}

export function compileHttpOptions(env: SettingValues<typeof httpEnvironment>): HttpOptions {
  return { host: env.WARDEN_HTTP_HOST, port: env.WARDEN_HTTP_PORT };
}
