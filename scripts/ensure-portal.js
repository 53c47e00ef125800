// Builds the portal before `npm start` when portal/dist is missing or older than its sources, so a
// fresh clone (or a checkout that changed the portal) serves what its sources say.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const portal = join(import.meta.dirname, "..", "portal");
const builtIndex = join(portal, "dist", "index.html");

function newestModification(path) {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, entry)));
  return newest;
}

const sources = ["src", "index.html", "vite.config.ts"].map((name) => join(portal, name)).filter(existsSync);
const sourcesModified = Math.max(...sources.map(newestModification));

if (!existsSync(builtIndex) || statSync(builtIndex).mtimeMs < sourcesModified) {
  console.log("Building the portal (portal/dist is missing or older than portal/src)…");
  const result = spawnSync("npm", ["run", "build:portal"], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
