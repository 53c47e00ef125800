/**
 * What an app-scoped token may do: Svix's app-portal capabilities, and which operations need
 * which. `ViewBase` (read everything but secrets) comes with every token; an operation an app
 * token may call that is not listed in CAPABILITY_OF needs only that.
 */
export const CAPABILITIES = [
  "ViewBase",
  "ViewEndpointSecret",
  "ManageEndpointSecret",
  "ManageTransformations",
  "CreateAttempts",
  "ManageEndpoint",
] as const;

export type Capability = (typeof CAPABILITIES)[number];

/** Capabilities that come with another: managing an endpoint includes its secret, rotating a secret includes seeing it. */
const IMPLIED: Partial<Record<Capability, readonly Capability[]>> = {
  ManageEndpoint: ["ViewEndpointSecret", "ManageEndpointSecret"],
  ManageEndpointSecret: ["ViewEndpointSecret"],
};

/** The capability each operation needs beyond ViewBase, by operationId. */
export const CAPABILITY_OF: Readonly<Record<string, Capability>> = {
  "v1.endpoint.get-secret": "ViewEndpointSecret",
  "v1.endpoint.rotate-secret": "ManageEndpointSecret",
  "v1.endpoint.transformation.patch": "ManageTransformations",
  "v1.endpoint.transformation.simulate": "ManageTransformations",
  "v1.message.create": "CreateAttempts",
  "v1.endpoint.send-example": "CreateAttempts",
  "v1.endpoint.replay-missing": "CreateAttempts",
  "v1.endpoint.recover": "CreateAttempts",
  "v1.endpoint.bulk-replay": "CreateAttempts",
  "v1.message-attempt.resend": "CreateAttempts",
  "v1.endpoint.create": "ManageEndpoint",
  "v1.endpoint.update": "ManageEndpoint",
  "v1.endpoint.patch": "ManageEndpoint",
  "v1.endpoint.delete": "ManageEndpoint",
  "v1.endpoint.update-headers": "ManageEndpoint",
  "v1.endpoint.patch-headers": "ManageEndpoint",
  "v1.endpoint.set-mtls-config": "ManageEndpoint",
  "v1.endpoint.delete-mtls-config": "ManageEndpoint",
  "v1.endpoint.cancel-msgs": "ManageEndpoint",
  "v1.message.expunge-content": "ManageEndpoint",
  "v1.message-attempt.expunge-content": "ManageEndpoint",
};

/**
 * The capabilities a token is minted with, as Svix reads `AppPortalAccessIn`: none asked for means
 * all of them, `readOnly` means ViewBase alone, and ViewBase is always there.
 */
export function grantCapabilities(requested: readonly Capability[] | null | undefined, readOnly: boolean | null | undefined): Capability[] {
  if (readOnly) return ["ViewBase"];
  if (!requested || requested.length === 0) return [...CAPABILITIES];
  return CAPABILITIES.filter((capability) => capability === "ViewBase" || requested.includes(capability));
}

export function hasCapability(granted: readonly Capability[], needed: Capability): boolean {
  return granted.some((capability) => capability === needed || (IMPLIED[capability] ?? []).includes(needed));
}

export function isCapability(value: unknown): value is Capability {
  return (CAPABILITIES as readonly unknown[]).includes(value);
}
