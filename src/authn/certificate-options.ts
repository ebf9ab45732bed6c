import { z } from "zod";
import { PrincipalKind } from "../gen/warden/v1/event.js";
import { optionalText, type SettingValues } from "../settings.js";

/** Client certificates (mTLS, or forwarded by Envoy) as credentials. */
export const certificateEnvironment = {
  /** Which name of a client certificate is its principal; unset: certificates are not credentials. */
  WARDEN_X509_PRINCIPAL: z.enum(["spiffe", "cn", "dns"]).optional(),
  WARDEN_X509_PRINCIPAL_KIND: z.enum(["user", "workload"]).default("workload"),
  /** JSON or YAML: scopes and roles per principal or principal prefix. */
  WARDEN_X509_MAPPINGS_FILE: optionalText,
  /** CA bundle that certificates forwarded by a proxy (ext_authz) must chain to. */
  WARDEN_X509_FORWARDED_CA_FILE: optionalText,
};

export type CertificatePrincipal = "spiffe" | "cn" | "dns";

export interface CertificateOptions {
  principal: CertificatePrincipal;
  principalKind: PrincipalKind;
  mappingsFile: string | undefined;
  forwardedCaFile: string | undefined;
}

/** Undefined when certificates are not credentials. */
export function compileCertificateOptions(
  env: SettingValues<typeof certificateEnvironment>,
  problems: string[],
): CertificateOptions | undefined {
  const principal = env.WARDEN_X509_PRINCIPAL;
  if (principal === undefined) {
    if (env.WARDEN_X509_MAPPINGS_FILE !== undefined || env.WARDEN_X509_FORWARDED_CA_FILE !== undefined) {
      problems.push("WARDEN_X509_PRINCIPAL: required with WARDEN_X509_MAPPINGS_FILE or WARDEN_X509_FORWARDED_CA_FILE");
    }
    return undefined;
  }
  return {
    principal,
    principalKind: env.WARDEN_X509_PRINCIPAL_KIND === "user" ? PrincipalKind.USER : PrincipalKind.WORKLOAD,
    mappingsFile: env.WARDEN_X509_MAPPINGS_FILE,
    forwardedCaFile: env.WARDEN_X509_FORWARDED_CA_FILE,
  };
}
