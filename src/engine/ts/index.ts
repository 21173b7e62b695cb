/** The pure-TypeScript engine (readable reference, byte-identical to the C++ addon). */
export { TsEngine } from './engine.js';
export type { TsEngineOptions } from './engine.js';
