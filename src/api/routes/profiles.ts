import { Type } from "@sinclair/typebox";

import type { Profile } from "../../profiles/profiles.ts";
import { PROFILES } from "../../profiles/profiles.ts";
import type { Api, ApiContext } from "../context.ts";
import { notFound } from "../errors.ts";
import { DeliveryOptionOutFields, ProfileSchema } from "../schemas/delivery-options.ts";

const tags = ["Profile"];

const ProfileOut = Type.Object({
  name: ProfileSchema,
  description: Type.String(),
  notes: Type.Array(Type.String()),
  defaults: DeliveryOptionOutFields.effectiveOptions,
});

/** Herald extension: each compatibility profile and the delivery defaults it stands for. */
export async function profileRoutes(app: Api, context: ApiContext): Promise<void> {
  const config = { access: "app" as const };
  const out = (profile: Profile) => ({
    name: profile.name,
    description: profile.description,
    notes: profile.notes,
    defaults: profile.defaults(context.config),
  });

  app.get(
    "/api/v1/profiles",
    { schema: { tags, operationId: "v1.profile.list", response: { 200: Type.Object({ data: Type.Array(ProfileOut) }) } }, config },
    async () => ({ data: [...PROFILES.values()].map(out) }),
  );

  app.get(
    "/api/v1/profiles/:name",
    { schema: { tags, operationId: "v1.profile.get", params: Type.Object({ name: Type.String({ maxLength: 64 }) }), response: { 200: ProfileOut } }, config },
    async (request) => {
      const profile = PROFILES.get(request.params.name as Profile["name"]);
      if (!profile) throw notFound("Profile");
      return out(profile);
    },
  );
}
