import { parseArgs } from "node:util";

import { ConfigError, resolveConfig } from "../config/config.ts";
import { makeLogger, startHerald } from "../server.ts";

/**
 * `herald <command>`: serve (API + worker), api, worker, migrate. Configuration comes from
 * HERALD_* variables (see README); this file only maps commands to roles.
 */
const USAGE = `Usage: herald <command>

Commands:
  serve     API and delivery worker in one process (default)
  api       HTTP API only
  worker    delivery worker only
  migrate   apply database migrations and exit

Configuration is read from HERALD_* environment variables; see README.md.`;

const ROLES = {
  serve: { api: true, worker: true },
  api: { api: true, worker: false },
  worker: { api: false, worker: true },
  migrate: { api: false, worker: false },
} as const;

function parseCommandLine() {
  return parseArgs({ allowPositionals: true, options: { help: { type: "boolean", short: "h" } } });
}

/** A bad command line: say what is wrong and how to call Herald, on stderr, exit code 2. */
function usageError(problem: string): void {
  process.stderr.write(`herald: ${problem}\n\n${USAGE}\n`);
  process.exitCode = 2;
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseCommandLine>;
  try {
    args = parseCommandLine();
  } catch (error) {
    return usageError((error as Error).message);
  }
  const command = args.positionals[0] ?? "serve";
  if (args.values.help) {
    process.stdout.write(USAGE + "\n");
    return;
  }
  if (!Object.hasOwn(ROLES, command)) return usageError(`unknown command "${command}"`);
  if (args.positionals.length > 1) return usageError(`unexpected argument "${args.positionals[1]}"`);
  const config = resolveConfig();
  // The data directory holds the database, the admin token and the main secret: whatever Herald
  // creates there is its user's alone (700 folders, 600 files), whatever the shell's umask.
  process.umask(0o077);
  const logger = makeLogger(config);
  const herald = await startHerald(config, { ...ROLES[command as keyof typeof ROLES], logger });
  if (command === "migrate") {
    logger.info("migrations applied");
    await herald.close();
    return;
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: finishing in-flight deliveries");
    herald.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(error.message + "\n");
  } else {
    process.stderr.write(`Herald failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
