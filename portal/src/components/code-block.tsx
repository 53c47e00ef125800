interface CodeBlockProps {
  value: unknown;
  label: string;
}

/** Payloads and bodies shown as text, never as HTML; JSON strings are pretty-printed. */
export function formatBody(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

export function CodeBlock({ value, label }: CodeBlockProps) {
  return (
    <pre className="code" tabIndex={0} role="group" aria-label={label}>
      {formatBody(value)}
    </pre>
  );
}
