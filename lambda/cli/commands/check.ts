/**
 * `pop3-ingest check`: what a user setting up needs to know about a server, and what to fix.
 */
import { findMailbox } from '../../config/find-mailbox.js';
import { booleanFlag, integerFlag, parseCommandArgs, stringFlag } from '../args.js';
import { hasErrors } from '../check/diagnose.js';
import { formatCheckReport } from '../check/format.js';
import { checkMailbox } from '../check/probe.js';
import type { CheckReport } from '../check/report.js';
import { ExitCode, exitCodeForCategory, type ExitCodeValue } from '../exit-codes.js';
import { configFromFlags } from '../flags-config.js';
import { CliLogger, logLevelFrom, writeResult } from '../output.js';
import { createSecretProvider } from '../../compose/services.js';
import { CHECK_SPEC } from './specs.js';

const DEFAULT_TIMEOUT_S = 30;

/** Runs `pop3-ingest check`; resolves with the exit code. */
export async function runCheck(argv: readonly string[]): Promise<ExitCodeValue> {
  const values = parseCommandArgs(argv, CHECK_SPEC);
  const json = booleanFlag(values, 'json');
  const logger = new CliLogger({ level: logLevelFrom({ verbose: booleanFlag(values, 'verbose'), quiet: booleanFlag(values, 'quiet') }), json });
  const config = await configFromFlags(values, { requireLogin: false });
  const fromFile = values.config !== undefined;
  const only = stringFlag(values, 'mailbox');
  const mailbox = only === undefined ? config.mailboxes[0] : findMailbox(config, only);
  if (mailbox === undefined) return ExitCode.USAGE;
  // A config file always names credentials; by flags, logging in is optional (--user).
  const login = fromFile || values.user !== undefined;
  const timeoutS = integerFlag(values, 'timeout', { min: 1, max: 3600 }) ?? DEFAULT_TIMEOUT_S;

  const secrets = await createSecretProvider(config);
  let report: CheckReport;
  try {
    report = await checkMailbox(mailbox, { login, secrets: secrets.provider, timeoutMs: timeoutS * 1000, logger });
  } finally {
    secrets.close();
  }
  const exitCode = checkExitCode(report);
  writeResult(json, { ok: exitCode === ExitCode.OK, exitCode, ...report }, () => formatCheckReport(report));
  return exitCode;
}

/**
 * The exit code of a check: the connect or login failure's class (auth 3, busy 4, network 5),
 * 1 when connected but an error-level finding says polling would not work, else 0.
 */
export function checkExitCode(report: CheckReport): ExitCodeValue {
  const failure = report.error ?? report.login.error;
  if (failure) return exitCodeForCategory(failure.category, failure.code);
  return hasErrors(report.findings) ? ExitCode.OTHER : ExitCode.OK;
}
