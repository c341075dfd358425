/**
 * The POP3 protocol engine's public API. Knows POP3, nothing of AWS.
 */
export { connectPop3 } from './connect.js';
export { openPop3 } from './open.js';
export type {
  Pop3ConnectOptions, Pop3OpenOptions, Pop3PreAuthSession, Pop3FetchedMessage, Pop3FetchOptions, Pop3FetchRequest, Pop3Logger, Pop3MessageRefusal, Pop3Session,
  Pop3SessionState,
} from './session-types.js';
export { Pop3Body } from './body.js';
export { AUTH_METHOD_NAMES, TOKEN_MECHANISMS } from './auth/choose.js';
export { Pop3Error, POP3_ERROR_CODES, isPop3Error, maskCommand } from './errors.js';
export type { Pop3ErrorCode, Pop3ErrorOptions } from './errors.js';
export {
  DEFAULT_POP3_LIMITS, MAX_AUTH_LINE_OCTETS, MAX_MESSAGE_SIZE_HARD_CAP, MIN_PIPELINE_WINDOW, POP3_LIMIT_BOUNDS, resolveLimits,
} from './limits.js';
export type { Pop3Limits } from './limits.js';
export { escapeServerText } from './escape.js';
export { LineSplitter, MultilineDecoder, dotStuff, encodeMultiline } from './framing.js';
export type { MultilineLimits } from './framing.js';
export { parseStatusLine, errorCodeForReply } from './response.js';
export type { StatusReply } from './response.js';
export { parseCapabilities, unknownCapabilities } from './capabilities.js';
export type { Pop3Capabilities } from './capabilities.js';
export { isValidUid, ListSizes, MAX_UID_LENGTH, parseListLine, parseUidlLine, UidlCollector, validateUidlListing } from './uid.js';
export type { ListEntry, RejectedUid, UidlEntry, UidlListing, UidlTaker } from './uid.js';
export { checkPin, publicKeyPin } from './transport.js';
export type { Pop3TlsMode, Pop3TlsOptions, TlsInfo } from './transport.js';
