import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Values Herald generates on first start and keeps in the data directory so that later starts
 * (and other processes on the same directory) reuse them: the admin token and the main secret.
 * Returns the value and whether it was created just now (the caller prints a new admin token once).
 */
export function loadOrCreateSecretFile(dataDir: string, name: string, prefix: string): { value: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, name);
  if (existsSync(file)) {
    return { value: readFileSync(file, "utf8").trim(), created: false };
  }
  const value = prefix + randomBytes(32).toString("base64url");
  try {
    // "wx" fails if another process created the file first; then we read theirs.
    writeFileSync(file, value + "\n", { flag: "wx", mode: 0o600 });
    return { value, created: true };
  } catch {
    return { value: readFileSync(file, "utf8").trim(), created: false };
  }
}
