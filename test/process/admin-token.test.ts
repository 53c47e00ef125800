import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";

import { callApi, type HeraldProcess, killAll, makeTempDir, removeTempDirs, startHeraldProcess } from "./process-helpers.ts";

after(async () => {
  await killAll();
  removeTempDirs();
});

/** Stops a process with SIGTERM and returns everything it wrote on stdout. */
async function stop(herald: HeraldProcess): Promise<string> {
  herald.signal("SIGTERM");
  assert.deepEqual(await herald.waitForExit(), { code: 0, signal: null }, herald.describe());
  return herald.stdout();
}

function occurrences(text: string, token: string): number {
  return text.split(token).length - 1;
}

test("without HERALD_ADMIN_TOKEN the first start generates a token, prints it once and keeps it", async () => {
  const dataDir = makeTempDir();
  const env = { HERALD_ADMIN_TOKEN: undefined };

  const first = await startHeraldProcess(dataDir, { env });
  const file = path.join(dataDir, "admin-token");
  const token = readFileSync(file, "utf8").trim();
  assert.match(token, /^hrld_admin_[\w-]{20,}$/);
  assert.equal(statSync(file).mode & 0o777, 0o600, "only the owner can read the token file");
  assert.equal((await callApi(first.url, "GET", "/api/v1/app", undefined, token)).status, 200);
  assert.equal((await callApi(first.url, "GET", "/api/v1/app", undefined, token + "x")).status, 401);
  const firstStdout = await stop(first);
  assert.equal(occurrences(firstStdout, token), 1, `the token is printed exactly once:\n${firstStdout}`);
  assert.equal(occurrences(first.stderr(), token), 0, "and not on stderr");

  const second = await startHeraldProcess(dataDir, { env });
  assert.equal((await callApi(second.url, "GET", "/api/v1/app", undefined, token)).status, 200, "the same token works after a restart");
  assert.equal(readFileSync(file, "utf8").trim(), token);
  const secondStdout = await stop(second);
  assert.equal(occurrences(secondStdout + second.stderr(), token), 0, `a later start does not print it:\n${secondStdout}`);
  assert.doesNotMatch(secondStdout, /admin token/i);
});

test("with HERALD_ADMIN_TOKEN set nothing is generated or printed, and only that token works", async () => {
  const dataDir = makeTempDir();
  const herald = await startHeraldProcess(dataDir);
  assert.throws(() => statSync(path.join(dataDir, "admin-token")), { code: "ENOENT" });
  assert.equal((await callApi(herald.url, "GET", "/api/v1/app")).status, 200);
  assert.equal((await callApi(herald.url, "GET", "/api/v1/app", undefined, "hrld_admin_not-the-token")).status, 401);
  assert.doesNotMatch(await stop(herald), /admin token/i);
});
