/** JSON with bigints, for persisted state: `{ "$bigint": "123" }`. */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    typeof item === "bigint" ? { $bigint: item.toString() } : item,
  );
}

export function parse<T>(text: string): T {
  return JSON.parse(text, (_key, item) =>
    item && typeof item === "object" && typeof item.$bigint === "string" && Object.keys(item).length === 1
      ? BigInt(item.$bigint)
      : item,
  ) as T;
}

const MARK = "\u0000bigint:";

/** JSON for HTTP answers: bigints become plain JSON integers with every digit kept. */
export function toWireJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? `${MARK}${item}` : item));
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, "$1");
}
