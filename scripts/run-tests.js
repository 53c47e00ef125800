// Runs every test file under test/ with node's test runner (TypeScript through tsx).
// Node 20's runner does not expand globs itself, so the files are listed here.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return findTests(full);
    return name.endsWith(".test.ts") ? [full] : [];
  });
}

const roots = process.argv.length > 2 ? process.argv.slice(2) : ["test"];
const files = roots.flatMap((root) => (statSync(root).isDirectory() ? findTests(root).sort() : [root]));
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  { stdio: "inherit", env: { ...process.env, HERALD_LOG_LEVEL: process.env.HERALD_LOG_LEVEL ?? "silent" } },
);
process.exit(result.status ?? 1);
