// Runs the test suite with node's test runner (TypeScript through tsx).
//
// - Node 20's runner does not expand globs itself, so the files are listed here.
// - A PostgreSQL server for the run is started here (unless TEST_DATABASE_URL names one), so every
//   test process shares it and each test makes its own database on it.
// - Every file runs once with HERALD_TEST_ENGINE=sqlite; the end-to-end suites that go through the
//   store (test/api, test/delivery, test/profiles, test/consumers) run a second time with HERALD_TEST_ENGINE=postgres. The store
//   contract tests in test/store loop over both engines themselves.
// - The benchmark's own test (test/process/bench-quick.test.ts) loads both cores for about a minute,
//   so it runs alone, after the rest, where it cannot eat into other tests' time limits.
// - The last line is the combined count, "N passed, N failed".
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

import { startTestPostgres } from "./test-postgres.js";

const ENGINE_SUITES = ["test/api", "test/delivery", "test/profiles", "test/consumers"];

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return findTests(full);
    return name.endsWith(".test.ts") ? [full] : [];
  });
}

function expand(roots) {
  return roots.flatMap((root) => (statSync(root).isDirectory() ? findTests(root).sort() : [root]));
}

/** Runs files in one `node --test`, echoing its output and counting its pass/fail lines. */
function runSuite(files, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files], {
      stdio: ["ignore", "pipe", "inherit"],
      env,
    });
    const counts = { pass: 0, fail: 0, cancelled: 0 };
    let pending = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines) {
        const match = /^ℹ (pass|fail|cancelled) (\d+)$/.exec(line.trim());
        if (match) counts[match[1]] = Number(match[2]);
      }
    });
    process.on("SIGINT", () => child.kill("SIGINT"));
    process.on("SIGTERM", () => child.kill("SIGTERM"));
    child.on("exit", (status, signal) => resolve({ ...counts, ok: status === 0 && !signal }));
  });
}

const roots = process.argv.length > 2 ? process.argv.slice(2) : ["test"];
const LOAD_TESTS = [path.join("test", "process", "bench-quick.test.ts")];
const allFiles = expand(roots).map((file) => path.normalize(file));
const files = allFiles.filter((file) => !LOAD_TESTS.includes(file));
const loadFiles = allFiles.filter((file) => LOAD_TESTS.includes(file));
const engineFiles = files.filter((file) => ENGINE_SUITES.some((suite) => file.startsWith(suite + path.sep) || file === suite));

const postgres = process.env.TEST_DATABASE_URL ? null : await startTestPostgres();
const baseEnv = {
  ...process.env,
  HERALD_LOG_LEVEL: process.env.HERALD_LOG_LEVEL ?? "silent",
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? postgres.url,
};

const results = [];
try {
  console.log(`\n# ${files.length} test files on SQLite (store contract tests also on PostgreSQL)\n`);
  if (files.length > 0) results.push(await runSuite(files, { ...baseEnv, HERALD_TEST_ENGINE: "sqlite" }));
  if (engineFiles.length > 0 && process.env.HERALD_TEST_ENGINES !== "sqlite") {
    console.log(`\n# ${engineFiles.length} end-to-end test files again on PostgreSQL\n`);
    results.push(await runSuite(engineFiles, { ...baseEnv, HERALD_TEST_ENGINE: "postgres" }));
  }
  if (loadFiles.length > 0) {
    console.log(`\n# the benchmark's test, alone\n`);
    results.push(await runSuite(loadFiles, { ...baseEnv, HERALD_TEST_ENGINE: "sqlite" }));
  }
} finally {
  await postgres?.stop();
}
const passed = results.reduce((sum, result) => sum + result.pass, 0);
// A cancelled test (its file crashed, or a hook failed) did not pass: count it as failed.
const failed = results.reduce((sum, result) => sum + result.fail + result.cancelled, 0);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(results.every((result) => result.ok) ? 0 : 1);
