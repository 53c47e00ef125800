import assert from "node:assert/strict";
import { after, test } from "node:test";

import { freePort, heraldEnv, killAll, makeTempDir, removeTempDirs, REPO_ROOT, spawnChild, waitForHealthy } from "./process-helpers.ts";

after(async () => {
  await killAll();
  removeTempDirs();
});

test("npm start serves the API (health answers 204)", async () => {
  const port = await freePort();
  // npm runs the script through a shell: kill() signals the whole process group.
  const npm = spawnChild("npm", ["start"], { cwd: REPO_ROOT, env: heraldEnv(makeTempDir(), port) });
  await waitForHealthy(npm, `http://127.0.0.1:${port}`);
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
  assert.equal(response.status, 204, "the database is reachable too");
  await npm.kill();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/api/v1/health/ping`), "nothing is left listening");
});
