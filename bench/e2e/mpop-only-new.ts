/**
 * mpop as the idle-poll reference: keep mode, `--only-new`, and a UIDL file filled by a first
 * run, so a run with nothing new does what our idle poll does (log in, UIDL, compare, QUIT).
 */
import { prepareMpop, type MpopAccount, type MpopResult } from '../mpop.js';

/** A configured mpop whose UIDL file persists across runs. */
export interface OnlyNewMpop {
  /** One `mpop --only-new --keep` run (the first one fills the UIDL file). */
  run(): Promise<MpopResult>;
  dispose(): Promise<void>;
}

/** Writes a private config (0600) and UIDL file location. */
export function prepareOnlyNewMpop(account: MpopAccount): Promise<OnlyNewMpop> {
  return prepareMpop(account, { onlyNew: true });
}
