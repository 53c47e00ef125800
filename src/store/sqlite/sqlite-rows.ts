import type { SecretBox } from "../../crypto/secret-box.ts";
import type { Endpoint, EventType } from "../../domain/types.ts";
import type { DbEndpoint as SharedDbEndpoint, DbEventType as SharedDbEventType } from "../shared-rows.ts";
import * as shared from "../shared-rows.ts";
import { INTEGER_BOOLEAN } from "../shared-rows.ts";

/**
 * Row shapes of the SQLite tables. The rows and their mapping to domain objects are shared with
 * the other engines (`store/shared-rows.ts`, the one place that maps); here SQLite only fixes how
 * it stores booleans (INTEGER 0/1). Engine files import the shared rows and mappers from
 * `shared-rows.ts` directly; only these boolean-dependent ones come from here.
 */

export type DbEventType = SharedDbEventType<number>;
export type DbEndpoint = SharedDbEndpoint<number>;

export const eventTypeToRow = (eventType: EventType): DbEventType => shared.eventTypeToRow(eventType, INTEGER_BOOLEAN);
export const rowToEventType = (row: DbEventType): EventType => shared.rowToEventType(row, INTEGER_BOOLEAN);
export const endpointToRow = (endpoint: Endpoint, box: SecretBox): DbEndpoint => shared.endpointToRow(endpoint, box, INTEGER_BOOLEAN);
export const rowToEndpoint = (row: DbEndpoint, box: SecretBox): Endpoint => shared.rowToEndpoint(row, box, INTEGER_BOOLEAN);
