import { Type } from "@sinclair/typebox";

import { DELIVERY_OPTION_NAMES } from "../../domain/delivery-options.ts";
import type { Api, ApiContext } from "../context.ts";
import { Nullable } from "../schemas/common.ts";

const EnvironmentSettingsOut = Type.Object({
  displayName: Nullable(Type.String()),
  logoUrl: Nullable(Type.String()),
  customColor: Nullable(Type.String()),
  customFontFamily: Nullable(Type.String()),
  colorPaletteLight: Nullable(Type.Object({ primary: Nullable(Type.String()) })),
  colorPaletteDark: Nullable(Type.Object({ primary: Nullable(Type.String()) })),
  enableChannels: Type.Boolean(),
  enableMessageTags: Type.Boolean(),
  enableTransformations: Type.Boolean(),
  enableEndpointMtlsConfig: Type.Boolean(),
  enableEndpointOauthConfig: Type.Boolean(),
  enableIntegrationManagement: Type.Boolean(),
  enableMessageStream: Type.Boolean(),
  showSvixBrandFooter: Type.Boolean(),
  showUseSvixPlay: Type.Boolean(),
  editableDeliveryOptions: Type.Array(Type.Union(DELIVERY_OPTION_NAMES.map((option) => Type.Literal(option))), {
    description: "Herald extension: the endpoint delivery options a consumer may edit in the portal (HERALD_PORTAL_EDITABLE_OPTIONS).",
  }),
});

/** The branding and switches the portal reads, set by the operator in configuration (HERALD_PORTAL_*). */
export async function environmentRoutes(app: Api, context: ApiContext): Promise<void> {
  const portal = context.config.portal;
  const settings = {
    displayName: portal.displayName,
    logoUrl: portal.logoUrl,
    customColor: portal.primaryColor,
    customFontFamily: portal.fontFamily,
    colorPaletteLight: portal.primaryColor ? { primary: portal.primaryColor } : null,
    colorPaletteDark: portal.primaryColor ? { primary: portal.primaryColor } : null,
    enableChannels: portal.enableChannels,
    // Herald does not store message tags yet: the portal offers no tag filter that would do nothing.
    enableMessageTags: false,
    enableTransformations: portal.enableTransformations,
    enableEndpointMtlsConfig: portal.enableMtls,
    enableEndpointOauthConfig: false,
    enableIntegrationManagement: false,
    enableMessageStream: false,
    showSvixBrandFooter: false,
    showUseSvixPlay: false,
    editableDeliveryOptions: [...portal.editableDeliveryOptions],
  };
  app.get(
    "/api/v1/environment/settings",
    { schema: { tags: ["Environment"], operationId: "v1.environment.get-settings", response: { 200: EnvironmentSettingsOut } }, config: { access: "app" } },
    async () => settings,
  );
}
