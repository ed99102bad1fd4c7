import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { AppModule } from '../../platform/module.js';
import type { User } from './identity.service.js';
import type { IdentityModule } from './index.js';

const cliArgs = z.object({
  role: z.enum(['clinician', 'staff', 'admin'], { error: '--role must be clinician, staff or admin' }),
  phone: z.string({ error: '--phone is required' }).trim().min(4).max(32),
  name: z.string({ error: '--name is required' }).trim().min(1).max(200),
  email: z.email().optional(),
  specialization: z.string().trim().min(1).max(100).optional(),
  'time-zone': z.string().trim().max(64).optional(),
  'registration-number': z.string().trim().max(64).optional(),
});

export const CLI_OPTIONS = {
  phone: { type: 'string' },
  name: { type: 'string' },
  email: { type: 'string' },
  specialization: { type: 'string' },
  'time-zone': { type: 'string' },
  'registration-number': { type: 'string' },
} as const;

export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

export type CliUser = z.infer<typeof cliArgs>;

/** Checks `carebook admin create-user` options before anything starts. */
export function parseCreateUserArgs(values: Record<string, unknown>): CliUser {
  const parsed = cliArgs.safeParse(values);
  if (!parsed.success) throw new CliUsageError(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

/** `carebook admin create-user --role=clinician|staff|admin --phone=... --name=... [--specialization= --time-zone=]` */
export async function createUserFromCli(modules: AppModule[], a: CliUser): Promise<User> {
  const identity = modules.find((m) => m.name === 'identity') as IdentityModule | undefined;
  if (!identity) throw new Error('the identity module is not loaded');
  try {
    return await identity.service.createStaffUser(
      {
        role: a.role,
        phone: a.phone,
        fullName: a.name,
        email: a.email,
        specialization: a.specialization,
        timeZone: a['time-zone'],
        registrationNumber: a['registration-number'],
      },
      null,
    );
  } catch (err) {
    if (err instanceof AppError) throw new CliUsageError(`${err.code}: ${err.message}`);
    throw err;
  }
}
