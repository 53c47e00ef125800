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

export function makeSecretBox(mainSecret: string): SecretBox {
  const key = createHash("sha256").update("herald-at-rest:" + mainSecret).digest();
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
    },
    open(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split(".");
      if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
        throw new Error("Encrypted value has an unknown format");
      }
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
      } catch (error) {
        throw new Error("Cannot decrypt a stored secret: was HERALD_MAIN_SECRET changed?", { cause: error });
      }
    },
  };
}
