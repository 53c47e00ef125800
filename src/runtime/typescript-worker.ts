/**
 * The entry URL of a worker thread that runs a TypeScript module. Herald runs its sources through
 * tsx (bin/herald.js) and a worker thread does not inherit the main thread's module hooks, so the
 * entry is a two-line `data:` module that registers tsx in the new thread, then imports the file.
 * Start such a worker with `execArgv: []`, so that a parent started with `--import tsx` does not
 * register tsx in it a second time.
 */
export function typescriptWorkerUrl(entry: URL): URL {
  const tsx = import.meta.resolve("tsx/esm/api");
  const source = `import { register } from ${JSON.stringify(tsx)};\nregister();\nawait import(${JSON.stringify(entry.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}
