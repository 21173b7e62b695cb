/**
 * The security audit log (seed 003: "audit for security, service logs for validation and
 * errors"), separate from the application log: one pino line per security event, in the
 * server logger's format (createLogger in logger.ts: level, time, fields, msg) plus
 * `"service":"audit","log_type":"audit"` so a log pipeline (Loki `{service="audit"}`, jq
 * `select(.log_type=="audit")`) splits the two. Written to AUDIT_LOG_FILE when set (appended,
 * synchronous writes), otherwise to stdout beside the application lines; always at info,
 * whatever LOG_LEVEL says.
 *
 * Events (`event` field): register, login_success, login_failure {reason}, token_issued
 * {jti, expires_at}, logout {jti}, deposit / withdraw {asset, amount}, rate_limited {scope,
 * key, retry_after_s} (once per trip: the first rejection after an allowed request).
 * Never logged: passwords, tokens, hashes (the jti identifies a token without granting it).
 *
 * The REST order trail ("Order placed"/"Order rejected", routes.ts AuditLog) stays in the
 * application log as before: it is trading activity, not a security event.
 */
import { createLogger, type Logger } from '../logger.js';

export type AuditEvent =
  | 'register' | 'login_success' | 'login_failure' | 'token_issued' | 'logout' | 'deposit' | 'withdraw' | 'rate_limited';

const MESSAGES: Record<AuditEvent, string> = {
  register: 'Account registered',
  login_success: 'Login succeeded',
  login_failure: 'Login failed',
  token_issued: 'Access token issued',
  logout: 'Access token revoked (logout)',
  deposit: 'Deposit',
  withdraw: 'Withdrawal',
  rate_limited: 'Rate limit exceeded',
};

export class SecurityAudit {
  private readonly logger: Logger;

  /** `dest`: a file path (AUDIT_LOG_FILE) or an fd, or the application logger (its
   *  destination is shared, one stream for both; the child logs at info whatever the
   *  parent's level). */
  constructor(dest: string | number | Logger) {
    const base = typeof dest === 'object' ? dest : createLogger('info', dest);
    this.logger = base.child({ service: 'audit', log_type: 'audit' }, { level: 'info' });
  }

  log(event: AuditEvent, fields: Record<string, string | number | boolean | null>): void {
    this.logger.info({ event, ...fields }, MESSAGES[event]);
  }
}
