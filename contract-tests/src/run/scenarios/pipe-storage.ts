/** The pipe-storage scenario: SIWS sign-in → refresh → `POST /rotateAppKey` without and with `X-CSRF-Token`. */
import { addressOf, secretKeySigner } from "@specyard/siws";
import nacl from "tweetnacl";
import type { Scenario } from "../scenario.js";
import { bearer } from "./helpers.js";

export const pipeStorage: Scenario = {
  provider: "pipe-storage",
  name: "sign-in → refresh → CSRF",
  steps() {
    const signer = secretKeySigner(nacl.sign.keyPair().secretKey);
    const wallet = addressOf(signer);
    let refreshToken = "";
    let access = "";
    let csrf = "";
    return [
      {
        name: "SIWS sign-in (challenge → sign → verify)",
        async run(api) {
          const { nonce, message } = await api.call(
            { method: "POST", path: "/auth/siws/challenge", json: { wallet_public_key: wallet } },
            200,
          );
          api.expect(typeof message === "string" && message.includes(nonce), "the message lacks the nonce");
          const signature = await signer.signMessage(new TextEncoder().encode(message));
          const tokens = await api.call(
            {
              method: "POST",
              path: "/auth/siws/verify",
              json: {
                wallet_public_key: wallet,
                nonce,
                message,
                signature_b64: Buffer.from(signature).toString("base64"),
              },
            },
            200,
          );
          api.expect(tokens.access_token && tokens.refresh_token && tokens.csrf_token, "tokens missing");
          access = api.secret("bearerAuth", tokens.access_token);
          refreshToken = api.secret("refreshToken", tokens.refresh_token);
          csrf = api.secret("csrfToken", tokens.csrf_token);
        },
      },
      {
        name: "refresh",
        async run(api) {
          const tokens = await api.call(
            { method: "POST", path: "/auth/refresh", json: { refresh_token: refreshToken } },
            200,
          );
          api.expect(tokens.access_token && tokens.csrf_token, "the refresh answer lacks tokens");
          access = api.secret("bearerAuth", tokens.access_token);
          csrf = api.secret("csrfToken", tokens.csrf_token);
          if (tokens.refresh_token) refreshToken = api.secret("refreshToken", tokens.refresh_token);
          const me = await api.call({ method: "GET", path: "/user/me", headers: bearer(access) }, 200);
          api.expect(me.user_app_key, "GET /user/me with the refreshed token has no user_app_key");
          api.secret("appKey", me.user_app_key);
        },
      },
      {
        name: "mutation without X-CSRF-Token refused with 403",
        async run(api) {
          await api.call({ method: "POST", path: "/rotateAppKey", headers: bearer(access), json: {} }, 403);
        },
      },
      {
        name: "mutation with X-CSRF-Token",
        async run(api) {
          const rotated = await api.call(
            {
              method: "POST",
              path: "/rotateAppKey",
              headers: { ...bearer(access), "x-csrf-token": csrf },
              json: {},
            },
            200,
          );
          api.expect(rotated.new_user_app_key, "the rotated app key is missing");
          api.secret("appKey", rotated.new_user_app_key);
        },
      },
    ];
  },
};
