import { randomBytes } from 'node:crypto';

const random = () => randomBytes(48).toString('base64');

/** Secrets as `openssl rand -base64 48` makes them: what production accepts. */
export const randomSecrets = () => ({
  JWT_SECRET: random(),
  OTP_SECRET: random(),
  SANDBOX_WEBHOOK_SECRET: random(),
  TOTP_ENCRYPTION_KEY: random(),
});
