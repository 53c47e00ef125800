import { ApiError } from "./api-error.ts";

/**
 * The one fetch the portal makes its own calls with (the svix SDK gets it too, as its `fetch`), so a
 * 401 anywhere ends the session in one place.
 */

type UnauthorizedListener = () => void;
let onUnauthorized: UnauthorizedListener = () => {};
let bearer: string | null = null;

export function setBearer(token: string | null): void {
  bearer = token;
}

export function onSessionEnded(listener: UnauthorizedListener): void {
  onUnauthorized = listener;
}

/** fetch that reports a 401 on an authenticated call as the session ending. */
export const portalFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.status === 401 && bearer !== null) onUnauthorized();
  return response;
};

type Query = Record<string, string | number | boolean | string[] | null | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(name, item);
    } else params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function request<T>(method: string, path: string, body?: unknown, authenticated = true): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (authenticated && bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await portalFetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const parsed = await parse(response);
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", withQuery(path, query)),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  delete: <T>(path: string) => request<T>("DELETE", path),
};
