import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";

import { makeTempDir, removeTempDirs, REPO_ROOT } from "./process-helpers.ts";

/**
 * Keeps `npm run bench` working: the quick benchmark runs on each engine to the end and writes
 * every figure. How fast it was is the benchmark's business, never a test's: nothing here looks at
 * a rate or a latency, only that each was measured.
 */

after(removeTempDirs);

const QUICK_BENCH_TIMEOUT_MS = 170_000;

function runQuickBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "bench", "run.ts"), "--quick", ...args], {
      cwd: REPO_ROOT,
      // The test database server, when there is one, serves the PostgreSQL run too.
      env: { ...process.env, BENCH_DATABASE_URL: process.env.TEST_DATABASE_URL },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), QUICK_BENCH_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function assertMeasured(value: unknown, name: string): void {
  assert.equal(typeof value, "number", `${name} is a number`);
  assert.ok(Number.isFinite(value) && (value as number) > 0, `${name} was measured (got ${String(value)})`);
}

for (const engine of ["sqlite", "postgres"] as const) {
  test(`npm run bench -- --quick${engine === "postgres" ? " --postgres" : ""} runs every phase and writes its results`, { timeout: QUICK_BENCH_TIMEOUT_MS + 10_000 }, async () => {
    const out = makeTempDir("herald-bench-results-");
    const { code, output } = await runQuickBench([...(engine === "postgres" ? ["--postgres"] : []), "--out", out]);
    assert.equal(code, 0, output);
    for (const metric of ["1. raw limit", "relay ceiling", "2. ingest", "3. end to end", "4. latency", "5. fan-out", "6. backlog", "7. stats query", "8. portal"]) {
      assert.ok(output.includes(metric), `the table shows ${metric}\n${output}`);
    }

    const files = readdirSync(out);
    assert.deepEqual(files.length, 1, `one results file: ${files.join(", ")}`);
    assert.match(files[0]!, new RegExp(`-${engine}-quick\\.json$`));
    const document = JSON.parse(readFileSync(path.join(out, files[0]!), "utf8"));
    assert.equal(document.engine, engine);
    const { raw, relay, ingest, latency, fanOut, backlog, stats, portal } = document.results;
    assertMeasured(raw.perSecond, "raw.perSecond");
    assertMeasured(relay.perSecond, "relay.perSecond");
    assertMeasured(ingest.ingestPerSecond, "ingest.ingestPerSecond");
    assertMeasured(ingest.deliveredPerSecond, "ingest.deliveredPerSecond");
    assertMeasured(latency.p99Ms, "latency.p99Ms");
    assertMeasured(fanOut.allMs, "fanOut.allMs");
    assertMeasured(backlog.rssBytes, "backlog.rssBytes");
    assertMeasured(backlog.drainPerSecond, "backlog.drainPerSecond");
    assertMeasured(backlog.againPerSecond, "backlog.againPerSecond");
    assertMeasured(stats.medianMs, "stats.medianMs");
    assertMeasured(stats.recordPerSecond, "stats.recordPerSecond");
    assertMeasured(portal.medianMs, "portal.medianMs");
    assertMeasured(portal.firstScreenJsGzipBytes, "portal.firstScreenJsGzipBytes");
    // Every message was delivered once the phases ended: the figures describe complete runs.
    assert.equal(relay.delivered, relay.messages);
    assert.equal(ingest.delivered, ingest.messages);
    assert.equal(latency.delivered, latency.accepted);
    assert.equal(fanOut.delivered, fanOut.endpoints);
    assert.equal(backlog.drained, backlog.accepted);
    assert.equal(backlog.againDrained, backlog.againAccepted);
    // The query counted every attempt the phase recorded.
    assert.equal(stats.attemptsCounted, stats.attempts);
  });
}
