/** An `@aws-sdk/client-s3` client for a Pipe bucket (path-style, as Pipe requires). */
import { S3Client } from "@aws-sdk/client-s3";
import type { AgentBundle } from "./flows.js";

export function s3Client(bundle: Pick<AgentBundle, "s3">): S3Client {
  return new S3Client({
    endpoint: bundle.s3.endpoint,
    region: bundle.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: bundle.s3.access_key_id, secretAccessKey: bundle.s3.secret_access_key },
  });
}
