export { checkSiwsMessage, type SiwsExpectations } from "./check.js";
export { SiwsProtocolError, SiwsRefusedError } from "./errors.js";
export { parseSiwsMessage, type SiwsMessage } from "./message.js";
export { SiwsSession, type SiwsSessionOptions } from "./session.js";
export { addressOf, type SiwsSigner, secretKeySigner } from "./signer.js";
export {
  jwtExpiry,
  PIPE_SIWS_ENDPOINTS,
  type SignInOptions,
  type SiwsEndpoints,
  type SiwsTokens,
  signIn,
} from "./signin.js";
