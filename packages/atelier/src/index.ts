/** The package entry: the client (`client.ts`) and the helpers built on it, which import it but never this file. */

export {
  type Deliverable,
  type DeliveryJournal,
  type DeliveryRecord,
  MemoryDeliveryJournal,
  type ProviderEvent,
  type RunProviderOptions,
  runProvider,
} from "./agent.js";
export * from "./client.js";
