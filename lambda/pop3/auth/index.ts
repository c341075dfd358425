/**
 * Authentication for the POP3 engine: credential validation, method choice and the SASL
 * mechanisms. Pure code: nothing here touches a socket.
 */
export { validateCredentials } from './credentials.js';
export { AUTH_METHOD_NAMES, chooseAuthMethods, TOKEN_MECHANISMS } from './choose.js';
export { createSaslMechanism } from './mechanisms.js';
export { apopDigest } from './apop.js';
export type { SaslMechanismOptions } from './mechanisms.js';
export type { AuthMethod, AuthOffer, AuthPolicy, Credentials, SaslMechanism, SaslMechanismName } from './types.js';
