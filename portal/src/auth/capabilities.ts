/** What a portal token may do, from the capabilities its one-time-token answer lists (Svix's names). */
export interface Permissions {
  viewSecret: boolean;
  manageSecret: boolean;
  manageEndpoint: boolean;
  manageTransformations: boolean;
  createAttempts: boolean;
}

export function permissionsOf(capabilities: readonly string[]): Permissions {
  const has = (name: string) => capabilities.includes(name);
  const manageEndpoint = has("ManageEndpoint");
  return {
    manageEndpoint,
    manageSecret: manageEndpoint || has("ManageEndpointSecret"),
    viewSecret: manageEndpoint || has("ManageEndpointSecret") || has("ViewEndpointSecret"),
    manageTransformations: has("ManageTransformations"),
    createAttempts: has("CreateAttempts"),
  };
}
