import { createContext, useContext } from "react";

import type { EnvironmentSettings } from "../api/types.ts";
import type { Permissions } from "./capabilities.ts";
import type { Session } from "./session.ts";

export interface PortalContext {
  session: Session;
  can: Permissions;
  settings: EnvironmentSettings;
  logout: () => void;
}

export const SessionContext = createContext<PortalContext | null>(null);

export function usePortal(): PortalContext {
  const context = useContext(SessionContext);
  if (!context) throw new Error("usePortal outside a signed-in portal");
  return context;
}

/** Options the operator lets consumers edit (environment settings' editableDeliveryOptions). */
export function useEditableOption(): (name: string) => boolean {
  const { settings, can } = usePortal();
  const editable = settings.editableDeliveryOptions ?? [];
  return (name) => can.manageEndpoint && editable.includes(name);
}
