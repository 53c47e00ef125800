import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Values Herald generates on first start and keeps in the data directory so that later starts
 * (and other processes on the same directory) reuse them: the admin token and the main secret.
 * Returns the value and whether it was created just now (the caller prints a new admin token once).
 */
export function loadOrCreateSecretFile(dataDir: string, name: string, prefix: string): { value: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, name);
  if (!existsSync(file)) {
    const value = prefix + randomBytes(32).toString("base64url");
    // Written in full under a temporary name, then linked into place. link() fails if another
    // process (say `herald api` and `herald worker` starting together) created the file first; then
    // we read theirs. Unlike open("wx") followed by write(), no one can read the file half-written.
    const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    writeFileSync(temp, value + "\n", { mode: 0o600 });
    try {
      linkSync(temp, file);
      return { value, created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      rmSync(temp, { force: true });
    }
  }
  const value = readFileSync(file, "utf8").trim();
  // An empty main secret would mean a publicly known key for secrets at rest and app tokens.
  if (!value) throw new Error(`${file} is empty: restore it, or delete it to have a new one generated`);
  return { value, created: false };
}
