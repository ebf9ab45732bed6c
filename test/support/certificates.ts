import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A certificate the test CA signs: its file name, subject and X.509 v3 extensions (openssl -extfile syntax). */
export type SignedCertificate = readonly [name: string, subject: string, extensions: string];

/**
 * A CA ("ca"), a self-signed stranger ("stranger") and the given certificates
 * signed by the CA, each as `<name>.crt` and `<name>.key` (P-256), made with
 * openssl in a fresh folder; returns each file's path by name.
 */
export async function certificates(signed: SignedCertificate[]): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(tmpdir(), "warden-tls-"));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run("openssl", args, { cwd: dir });
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const selfSigned = (name: string, subject: string) =>
    openssl(
      "req",
      "-x509",
      ...newKey,
      "-days",
      "1",
      "-subj",
      subject,
      "-keyout",
      f(`${name}.key`),
      "-out",
      f(`${name}.crt`),
    );

  await selfSigned("ca", "/CN=warden-test-ca");
  await selfSigned("stranger", "/CN=stranger");
  for (const [name, subject, extension] of signed) {
    await openssl("req", ...newKey, "-subj", subject, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`));
    await writeFile(f(`${name}.ext`), extension);
    await openssl(
      "x509",
      "-req",
      "-in",
      f(`${name}.csr`),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      f(`${name}.ext`),
      "-out",
      f(`${name}.crt`),
    );
  }
  const names = ["ca", "stranger", ...signed.map(([name]) => name)];
  return Object.fromEntries(
    names.flatMap((name) => [`${name}.crt`, `${name}.key`]).map((file) => [file, f(file)] as const),
  );
}

/** The server certificate the tests' Warden serves: 127.0.0.1 and localhost. */
export const SERVER_CERTIFICATE: SignedCertificate = [
  "server",
  "/CN=localhost",
  "subjectAltName=IP:127.0.0.1,DNS:localhost",
];
