import { drizzle } from 'drizzle-orm/node-postgres';
import { type AuthGuard, createAuthGuard, createTokenSigner, type TokenSigner } from '../../platform/auth.js';
import type { AppModule, Platform } from '../../platform/module.js';
import { accountRoutes } from './identity.admin.routes.js';
import { identityJobs } from './identity.jobs.js';
import { makeOtpService, type OtpNotifier } from './identity.otp.js';
import { makePatientDirectory } from './identity.patients.js';
import { makeProfileService, type ProfileService } from './identity.profile.js';
import { authRoutes } from './identity.routes.js';
import { describeIdentityDemo, seedIdentityDemo } from './identity.seed.js';
import { type IdentityService, makeIdentityService } from './identity.service.js';
import { makeSessionService } from './identity.sessions.js';
import { sessionRoutes } from './identity.sessions.routes.js';
import { makeTotpService } from './identity.totp.js';

export type { OtpNotifier } from './identity.otp.js';
export type { PatientProfile, ProfileService } from './identity.profile.js';
export { STAFF_ROLES, type StaffRole } from './identity.rules.js';
export { DEMO_PHONES } from './identity.seed.js';
export type { ClinicianSummary, IdentityService, NewStaffUser, User } from './identity.service.js';

type AuthDeps = Pick<Platform, 'config' | 'clock' | 'uow' | 'pool'>;

/**
 * The token signer and the auth guard every module's routes use. Built before the modules (messaging
 * needs the guard and identity needs messaging); the guard checks each token's session is still live,
 * so a logged-out, reused or deactivated session is a 401 `SESSION_REVOKED` at once.
 */
export function createIdentityAuth(deps: AuthDeps): { signer: TokenSigner; auth: AuthGuard } {
  const signer = createTokenSigner(deps.config.auth.jwtSecret, deps.clock);
  const sessions = makeSessionService({ ...deps, signer, db: drizzle(deps.pool, { casing: 'snake_case' }) });
  return { signer, auth: createAuthGuard(signer, sessions.sessionUser) };
}

export type IdentityModuleDeps = Pick<Platform, 'config' | 'clock' | 'uow' | 'pool'> & {
  signer: TokenSigner;
  auth: AuthGuard;
  /** `messaging.service.notify`, used for the `otp_verification` template only. */
  notifyOtp: OtpNotifier;
};
export type IdentityModule = AppModule & {
  service: IdentityService;
  profiles: ProfileService;
  auth: AuthGuard;
};

/** Users, roles, OTP login, sessions and patient profiles. */
export function createIdentityModule(deps: IdentityModuleDeps): IdentityModule {
  const { signer, auth } = deps;
  const service = makeIdentityService(deps);
  const profiles = makeProfileService(deps);
  const patients = makePatientDirectory(deps);
  const db = drizzle(deps.pool, { casing: 'snake_case' });
  const totp = makeTotpService({ ...deps, db });
  const otp = makeOtpService({ ...deps, signer, notifyOtp: deps.notifyOtp, totp });
  const sessions = makeSessionService({ ...deps, signer, db });
  // Secure whenever the site is served over https, and always in production.
  const cookies = { secure: deps.config.isProduction || deps.config.http.publicUrl.startsWith('https:') };
  return {
    name: 'identity',
    service,
    profiles,
    auth,
    routes: async (app) => {
      await app.register(authRoutes({ auth, otp, sessions, users: service, clock: deps.clock, cookies }));
      await app.register(sessionRoutes({ auth, sessions, totp, users: service }));
      await app.register(accountRoutes({ pool: deps.pool, auth, profiles, patients, users: service }));
    },
    jobs: identityJobs(deps),
    seedDemo: () => seedIdentityDemo(deps, service),
    describeDemo: async () => describeIdentityDemo(),
  };
}
