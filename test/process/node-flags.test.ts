import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { HERALD_BIN, HERALD_NODE_FLAGS, REPO_ROOT } from "./process-helpers.ts";

// Herald's Node flags are written in three places (bin/herald.js says why); they must agree, or
// the tests and the benchmark would measure a Herald that `npm start` does not run.
test("bin/herald.js, npm start and the test helpers give Node the same flags", () => {
  const shebang = readFileSync(HERALD_BIN, "utf8").split("\n")[0]!;
  assert.equal(shebang, `#!/usr/bin/env -S node ${HERALD_NODE_FLAGS.join(" ")}`);
  const { scripts } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  assert.equal(scripts.start, `node ${HERALD_NODE_FLAGS.join(" ")} bin/herald.js serve`);
});
