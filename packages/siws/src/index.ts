export {
  expectedChains,
  isLoopbackOrigin,
  normalizeChain,
  SOLANA_CLUSTERS,
  SOLANA_GENESIS_REFERENCES,
  type SolanaCluster,
} from "./chain.js";
export { checkSiwsMessage, type SiwsExpectations } from "./check.js";
export { SiwsProtocolError, SiwsRefusedError, type SiwsStage } from "./errors.js";
export {
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_TIMEOUT_MS,
  type SiwsHttpOptions,
} from "./http.js";
export { parseSiwsMessage, type SiwsMessage } from "./message.js";
export { type SiwsCallContext, SiwsSession, type SiwsSessionOptions } from "./session.js";
export { addressOf, type SiwsSigner, secretKeySigner } from "./signer.js";
export {
  jwtExpiry,
  PIPE_SIWS_ENDPOINTS,
  type SignInOptions,
  type SiwsEndpoints,
  type SiwsTokens,
  signIn,
} from "./signin.js";
