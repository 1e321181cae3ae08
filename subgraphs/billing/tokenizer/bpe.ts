import type { Tiktoken as TiktokenType, TiktokenBPE } from 'js-tiktoken/lite' with { 'resolution-mode': 'import' };

// The package's typings are ES modules; its CommonJS build is what Node loads here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tiktoken } = require('js-tiktoken/lite') as { Tiktoken: typeof TiktokenType };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const o200kBase = require('js-tiktoken/ranks/o200k_base') as { default: TiktokenBPE } | TiktokenBPE;

let encoder: TiktokenType | undefined;

/**
 * The o200k_base byte-pair encoding, whose ranks ship inside the js-tiktoken package (nothing is
 * downloaded). Built on first use, once per process: building it takes a moment.
 */
export function bpe(): TiktokenType {
  encoder ??= new Tiktoken('default' in o200kBase ? o200kBase.default : o200kBase);
  return encoder;
}
