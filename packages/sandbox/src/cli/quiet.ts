/**
 * The one line the CLI keeps off its users' terminal: `bigint-buffer` (loaded by
 * `@solana/spl-token` through `@solana/buffer-layout-utils`) warns on load when its native addon
 * was not compiled, then uses its pure-JS code, which is all the sandbox needs. pnpm 10 and npm's
 * `allowScripts` skip that compile by default, so nearly every user would see it. Library code
 * filters nothing: this runs in the CLI's own process only, and drops that exact message alone.
 */
const NATIVE_ADDON_WARNING = "bigint: Failed to load bindings, pure JS will be used (try npm run rebuild?)";

export function quietNativeAddonWarning(): void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (args.length === 1 && args[0] === NATIVE_ADDON_WARNING) return;
    warn.apply(console, args);
  };
}
