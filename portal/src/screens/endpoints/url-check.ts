import type { MessageKey } from "../../i18n/i18n-context.tsx";

/** What is wrong with an endpoint URL before the server sees it (the server checks its address too). */
export function urlProblem(value: string): MessageKey | null {
  if (value.trim() === "") return "form.urlRequired";
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return "form.urlInvalid";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "form.urlScheme";
  if (!url.hostname) return "form.urlInvalid";
  return null;
}

const CHANNEL = /^[a-zA-Z0-9\-_.:+]{1,128}$/;
export const MAX_CHANNELS = 10;

export function parseChannels(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function channelsProblem(channels: string[]): MessageKey | null {
  if (channels.length > MAX_CHANNELS) return "form.tooManyChannels";
  if (channels.some((channel) => !CHANNEL.test(channel))) return "form.channelInvalid";
  return null;
}
