/**
 * Validates an Adaptive Card with Microsoft's own object model (the `adaptivecards` package), at the
 * schema version the card declares: the parser reports unknown element and action types and invalid
 * property values for that version, validateProperties() reports missing required properties, and
 * a round trip through toJSON() drops every property the version does not know, so a card that
 * comes back unchanged uses nothing outside its declared version's schema.
 */
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

// The package's `lib/` build is ESM without file extensions, which Node cannot load; its `dist/`
// build is UMD and loads as CommonJS.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

/** Every problem the object model finds in `card` at its declared version (empty when it validates). */
export function adaptiveCardProblems(card: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const version = typeof card.version === 'string' ? AC.Version.parse(card.version, new AC.SerializationContext()) : undefined;
  if (!version?.isValid) return [`declared version ${JSON.stringify(card.version)} is not a valid Adaptive Card version`];
  if (version.major !== 1 || version.minor > AC.Versions.latest.minor) problems.push(`declared version ${version.toString()} is newer than the object model knows`);
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(version);
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const event of parsed.validateProperties().validationEvents) problems.push(`validate: ${event.message}`);
  const roundTrip = parsed.toJSON(new AC.SerializationContext(version));
  if (!isDeepStrictEqual(roundTrip, card)) problems.push(`round trip at ${version.toString()} changed the card: ${JSON.stringify(roundTrip)}`);
  return problems;
}
