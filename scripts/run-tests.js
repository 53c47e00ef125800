// Runs every test file under test/ with node's test runner (TypeScript through tsx).
// Node 20's runner does not expand globs itself, so the files are listed here. A PostgreSQL
// server for the run is started here too (unless TEST_DATABASE_URL names one), so every test
// process shares it and each test makes its own database on it.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

import { startTestPostgres } from "./test-postgres.js";

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return findTests(full);
    return name.endsWith(".test.ts") ? [full] : [];
  });
}

const roots = process.argv.length > 2 ? process.argv.slice(2) : ["test"];
const files = roots.flatMap((root) => (statSync(root).isDirectory() ? findTests(root).sort() : [root]));

const postgres = process.env.TEST_DATABASE_URL ? null : await startTestPostgres();
const env = {
  ...process.env,
  HERALD_LOG_LEVEL: process.env.HERALD_LOG_LEVEL ?? "silent",
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? postgres.url,
};

const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files], {
  stdio: "inherit",
  env,
});
const stopOnSignal = (signal) => child.kill(signal);
process.on("SIGINT", stopOnSignal);
process.on("SIGTERM", stopOnSignal);
const code = await new Promise((resolve) => child.on("exit", (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await postgres?.stop();
process.exit(code);
