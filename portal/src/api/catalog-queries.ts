import { useQuery } from "@tanstack/react-query";

import { listEventTypes, listProfiles } from "./portal-api.ts";

export const useEventTypes = () => useQuery({ queryKey: ["event-types"], queryFn: listEventTypes, staleTime: 60_000 });
export const useProfiles = () => useQuery({ queryKey: ["profiles"], queryFn: listProfiles, staleTime: Infinity });
