/**
 * Id of the internal application that carries Herald's operational webhooks (endpoint.disabled,
 * …). It is an ordinary application row for the queue and the delivery code, but stores hide it from
 * `listApplications` so that API users never see it in their application list.
 */
export const OPERATIONAL_APP_ID = "app_herald_operational";
