/** The payload send-example uses, as the server picks it: the newest schema version's first example, else `{}`. */
export function exampleOf(schemas: Record<string, unknown> | null): unknown {
  if (!schemas) return {};
  const versions = Object.keys(schemas).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const schema = schemas[version] as { examples?: unknown[]; example?: unknown } | undefined;
    if (Array.isArray(schema?.examples) && schema.examples.length > 0) return schema.examples[0];
    if (schema?.example !== undefined) return schema.example;
  }
  return {};
}

/** The newest schema version, for display. */
export function newestSchema(schemas: Record<string, unknown> | null): { version: string; schema: unknown } | null {
  if (!schemas) return null;
  const version = Object.keys(schemas).sort((a, b) => Number(b) - Number(a))[0];
  return version === undefined ? null : { version, schema: schemas[version] };
}
