/**
 * Protocol v1 public surface: message layouts and types (messages.ts), reason codes
 * (reasons.ts), encoder/decoder (codec.ts), decimal <-> units (decimal.ts).
 * Spec: docs/PROTOCOL.md.
 */
export * from './messages.js';
export * from './reasons.js';
export * from './codec.js';
export * from './decimal.js';
