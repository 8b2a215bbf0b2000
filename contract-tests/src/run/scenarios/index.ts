/**
 * The documents' stateful flows, one scenario per provider (one file each). Each step asserts the
 * status (judged against the spec as well) and the fields that matter; later steps use what earlier
 * ones returned.
 */
import type { Scenario } from "../scenario.js";
import { atelier } from "./atelier.js";
import { pinataAgents } from "./pinata-agents.js";
import { pipeStorage } from "./pipe-storage.js";
import { pipeagent } from "./pipeagent.js";
import { pipedai } from "./pipedai.js";

export const SCENARIOS: Scenario[] = [pipeStorage, pipeagent, atelier, pipedai, pinataAgents];
