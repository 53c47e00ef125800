import { readdir, readFile } from "node:fs/promises";

/** One numbered SQL migration file, `NNNN_name.sql`. Each engine has its own folder of them. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/** Reads the `NNNN_name.sql` files of `dir`, sorted by version. Other files in the folder are ignored. */
export async function readMigrationFiles(dir: URL, engine: string): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of await readdir(dir)) {
    const match = FILE_PATTERN.exec(file);
    if (!match) continue;
    const sql = await readFile(new URL(file, dir), "utf8");
    migrations.push({ version: Number(match[1]), name: match[2], sql });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(`Two ${engine} migrations have version ${migrations[i].version}`);
    }
  }
  return migrations;
}
