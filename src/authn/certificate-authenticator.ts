import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { FailureReason, type EventPrincipal } from "../gen/warden/v1/event.js";
import { ConfigError } from "../settings.js";
import type { CredentialAuthenticator, CredentialClaim, PeerIdentity, Refused, Verdict } from "./authenticator.js";
import type { CertificateOptions, CertificatePrincipal } from "./certificate-options.js";
import { unrecordableClaims } from "./claims.js";

/** Scopes and roles granted to the principals a mapping matches: one name, or a prefix ending in `*`. */
interface CertificateMapping {
  principal: string;
  scopes: string[];
  roles: string[];
}

const mappingsSchema = z
  .object({
    mappings: z.array(
      z
        .object({
          principal: z.string().min(1),
          scopes: z.array(z.string().min(1)).default([]),
          roles: z.array(z.string().min(1)).default([]),
        })
        .strict(),
    ),
  })
  .strict();

/** The mappings file (JSON or YAML), or a ConfigError naming each bad entry. */
export async function loadCertificateMappings(file: string | undefined): Promise<CertificateMapping[]> {
  if (file === undefined) return [];
  const prefix = `WARDEN_X509_MAPPINGS_FILE: ${file}`;
  let document: unknown;
  try {
    document = parseYaml(await readFile(file, "utf8"));
  } catch (error) {
    throw new ConfigError([`${prefix}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const parsed = mappingsSchema.safeParse(document);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${prefix}: ${issue.path.join(".")}: ${issue.message}`));
  }
  return parsed.data.mappings;
}

/** Every certificate in a PEM bundle. */
export async function loadCaBundle(file: string | undefined): Promise<X509Certificate[]> {
  if (file === undefined) return [];
  const pem = await readFile(file, "utf8");
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError([`WARDEN_X509_FORWARDED_CA_FILE: ${file}: no PEM certificate`]);
  return blocks.map((block) => new X509Certificate(block));
}

/**
 * Names in a subjectAltName as node:crypto renders it ("URI:spiffe://…, DNS:a");
 * a value holding ", " is rendered quoted, and is not a name Warden reads.
 */
function altNames(certificate: X509Certificate, kind: "URI" | "DNS"): string[] {
  return (certificate.subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith(`${kind}:`))
    .map((entry) => entry.slice(kind.length + 1));
}

function principalName(certificate: X509Certificate, principal: CertificatePrincipal): string | undefined {
  if (principal === "spiffe") return altNames(certificate, "URI").find((uri) => uri.startsWith("spiffe://"));
  if (principal === "dns") return altNames(certificate, "DNS")[0];
  return certificate.subject
    .split("\n")
    .find((line) => line.startsWith("CN="))
    ?.slice(3);
}

/**
 * A client certificate, when the caller presents no other credential: the
 * one Warden's own TLS verified (mTLS), or one a proxy forwarded (Envoy's
 * ext_authz), which must chain to the configured CA bundle. The principal is
 * its SPIFFE ID, subject CN or first DNS name; scopes and roles come from the
 * mappings file, and RBAC assignments apply to `workload:<principal>`.
 */
export class CertificateAuthenticator implements CredentialAuthenticator {
  constructor(
    private readonly options: CertificateOptions,
    private readonly mappings: CertificateMapping[],
    private readonly forwardedCas: X509Certificate[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  claim(credential: string, peer?: PeerIdentity): CredentialClaim | undefined {
    if (credential !== "" || peer === undefined) return undefined;
    return { identityProvider: "x509", namedSubject: undefined, verify: () => this.verify(peer) };
  }

  private verify({ certificate, verifiedByTls }: PeerIdentity): Verdict {
    if (!verifiedByTls && !this.trusted(certificate)) return this.refused(FailureReason.UNTRUSTED_CERTIFICATE);
    const name = principalName(certificate, this.options.principal);
    if (name === undefined || name === "") return this.refused(FailureReason.CERTIFICATE_IDENTITY_MISSING);
    const unrecordable = unrecordableClaims({ sub: name });
    if (unrecordable !== undefined) {
      return {
        ...this.refused(FailureReason.INVALID_CLAIMS, this.named(unrecordable.subject)),
        details: unrecordable.details,
      };
    }
    const matching = this.mappings.filter((mapping) =>
      mapping.principal.endsWith("*") ? name.startsWith(mapping.principal.slice(0, -1)) : name === mapping.principal,
    );
    return {
      ok: true,
      principal: {
        subject: name,
        kind: this.options.principalKind,
        email: "",
        scopes: [...new Set(matching.flatMap((mapping) => mapping.scopes))],
        roles: [...new Set(matching.flatMap((mapping) => mapping.roles))],
        expiresAt: new Date(certificate.validTo),
        tokenId: certificate.serialNumber,
        serviceTokenName: "",
      },
    };
  }

  /** Issued and signed by one of the CAs, and within its validity period (and theirs). */
  private trusted(certificate: X509Certificate): boolean {
    const now = this.now().getTime();
    const current = (c: X509Certificate) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
    return (
      current(certificate) &&
      this.forwardedCas.some((ca) => current(ca) && certificate.checkIssued(ca) && certificate.verify(ca.publicKey))
    );
  }

  private named(subject: string): EventPrincipal {
    return { subject, kind: this.options.principalKind, email: "", serviceTokenName: "", tokenId: "" };
  }

  private refused(reason: FailureReason, named?: EventPrincipal): Refused {
    // A certificate is not guessed: a refusal counts against the address only.
    return { ok: false, reason, named, counts: "source" };
  }
}
