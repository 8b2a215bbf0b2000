/**
 * The clients as the sandbox tests use them: these tests look at how the sandbox answers, so a call
 * that lacks a credential is sent anyway instead of failing in the client (`requireCredentials`).
 */
import { type AtelierClientOptions, createAtelierClient as atelier } from "@specyard/atelier";
import { type PinataAgentsClientOptions, createPinataAgentsClient as pinata } from "@specyard/pinata-agents";
import { type PipeStorageClientOptions, createPipeStorageClient as pipe } from "@specyard/pipe-storage";
import { type PipeAgentClientOptions, createPipeAgentClient as pipeagent } from "@specyard/pipeagent";
import { type PipedAIClientOptions, createPipedAIClient as pipedai } from "@specyard/pipedai";

export const createAtelierClient = (options: AtelierClientOptions = {}) =>
  atelier({ requireCredentials: false, ...options });
export const createPinataAgentsClient = (options: PinataAgentsClientOptions = {}) =>
  pinata({ requireCredentials: false, ...options });
export const createPipeStorageClient = (options: PipeStorageClientOptions = {}) =>
  pipe({ requireCredentials: false, ...options });
export const createPipeAgentClient = (options: PipeAgentClientOptions = {}) =>
  pipeagent({ requireCredentials: false, ...options });
export const createPipedAIClient = (options: PipedAIClientOptions = {}) =>
  pipedai({ requireCredentials: false, ...options });
