import { createPrivateKey, X509Certificate } from "node:crypto";

/**
 * An endpoint's mTLS identity as Codat's portal takes it: a PEM private key and a PEM X.509
 * certificate (optionally followed by its chain), in either order, separated by a blank line.
 */
export interface MtlsIdentity {
  key: string;
  /** The certificate, then any intermediates, as PEM. */
  cert: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** Splits and checks an identity; the error names what is wrong, never echoing key material. */
export function parseMtlsIdentity(text: string): MtlsIdentity | { error: string } {
  const blocks = [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1]!, pem: match[0] }));
  const keys = blocks.filter((block) => block.label.endsWith("PRIVATE KEY"));
  const certs = blocks.filter((block) => block.label === "CERTIFICATE");
  if (keys.length !== 1) return { error: `identity must hold exactly one PEM private key, found ${keys.length}` };
  if (certs.length === 0) return { error: "identity must hold a PEM X.509 certificate" };
  if (keys[0]!.label.includes("ENCRYPTED")) return { error: "the private key must not be encrypted with a passphrase" };
  try {
    const key = createPrivateKey(keys[0]!.pem);
    const certificate = new X509Certificate(certs[0]!.pem);
    if (!certificate.checkPrivateKey(key)) return { error: "the private key does not match the certificate" };
  } catch (error) {
    return { error: `identity is not a readable PEM key and certificate: ${(error as Error).message}` };
  }
  return { key: keys[0]!.pem, cert: certs.map((block) => block.pem).join("\n") };
}

/** What GET …/mtls shows: the certificate's public facts, never the key. */
export function describeCertificate(identity: MtlsIdentity) {
  const certificate = new X509Certificate(identity.cert);
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    validFrom: new Date(certificate.validFrom).toISOString(),
    validTo: new Date(certificate.validTo).toISOString(),
    fingerprint256: certificate.fingerprint256,
  };
}

/** Parsed identities by their stored text: parsing checks the key against the certificate, which is not free. */
const parsedIdentities = new Map<string, MtlsIdentity | null>();
const MAX_PARSED_IDENTITIES = 1000;

/** The endpoint's identity ready for the TLS handshake; null when it has none (or it no longer parses). */
export function mtlsIdentityOf(endpoint: { mtlsIdentity: string | null }): MtlsIdentity | null {
  const text = endpoint.mtlsIdentity;
  if (text === null) return null;
  let identity = parsedIdentities.get(text);
  if (identity === undefined) {
    const parsed = parseMtlsIdentity(text);
    identity = "error" in parsed ? null : parsed;
    if (parsedIdentities.size >= MAX_PARSED_IDENTITIES) parsedIdentities.clear();
    parsedIdentities.set(text, identity);
  }
  return identity;
}
