/** Default payload retention (Svix `payloadRetentionPeriod` default: 90 days). */
export const DAY_MS = 24 * 60 * 60 * 1000;
export const MESSAGE_RETENTION_MS = 90 * DAY_MS;
