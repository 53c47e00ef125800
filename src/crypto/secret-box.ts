import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * Encryption at rest for secrets and sensitive headers: AES-256-GCM with a key derived from
 * HERALD_MAIN_SECRET. The stored text is `v1.<iv>.<tag>.<ciphertext>` in base64url, so a future
 * key or cipher change can be told apart from this one.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

const VERSION = "v1";

/**
 * Opened values are kept, keyed by their sealed text: the worker opens an endpoint's key for every
 * delivery and AES-GCM setup costs more than the request signing it serves (a fan-out to 10,000
 * endpoints spent a quarter of a second opening them). A sealed text only ever opens to one value,
 * so the cache cannot go stale. Values sealed here are kept too: in `herald serve` the worker then
 * never opens what the API just sealed. It is bounded, and simply emptied when full; an endpoint
 * has two sealed values (its keys and its headers), so the bound covers 25,000 endpoints.
 */
const OPENED_CACHE_LIMIT = 50_000;

/** AES-256-GCM under a 32-byte key, as `v1.<iv>.<tag>.<ciphertext>`. */
export function sealWithKey(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
}

/** The plaintext of sealWithKey's output; throws if the key is wrong or the text was altered. */
export function openWithKey(key: Buffer, sealed: string): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
    throw new Error("Encrypted value has an unknown format");
  }
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}

export function makeSecretBox(mainSecret: string): SecretBox {
  const key = createHash("sha256").update("herald-at-rest:" + mainSecret).digest();
  const opened = new Map<string, string>();

  function decrypt(sealed: string): string {
    if (!sealed.startsWith(VERSION + ".")) throw new Error("Encrypted value has an unknown format");
    try {
      return openWithKey(key, sealed);
    } catch (error) {
      throw new Error("Cannot decrypt a stored secret: was HERALD_MAIN_SECRET changed?", { cause: error });
    }
  }

  function remember(sealed: string, plaintext: string): void {
    if (opened.size >= OPENED_CACHE_LIMIT) opened.clear();
    opened.set(sealed, plaintext);
  }

  return {
    seal(plaintext) {
      const sealed = sealWithKey(key, plaintext);
      remember(sealed, plaintext);
      return sealed;
    },
    open(sealed) {
      let plaintext = opened.get(sealed);
      if (plaintext === undefined) {
        plaintext = decrypt(sealed);
        remember(sealed, plaintext);
      }
      return plaintext;
    },
  };
}
