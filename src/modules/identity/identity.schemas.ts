import { z } from 'zod';
import { ROLES } from '../../platform/auth.js';
import { boundedDate } from '../../platform/input.js';
import { component } from '../../platform/openapi.js';
import { pageOf, pageQuery } from '../../platform/paging.js';

const phone = z
  .string()
  .trim()
  .min(4)
  .max(32)
  .describe('E.164 (`+919876543210`) or a national number read in the deployment region (`98765 43210`)');
const fullName = z.string().trim().min(1).max(200);
const email = z.email().max(254);
const role = z.enum(ROLES);

export const sendOtpBody = z.object({ phone });
export const sendOtpReply = z.object({
  message: z.string(),
  expiresInSeconds: z.number().int().describe('How long the code is valid'),
});

export const verifyOtpBody = z.object({
  phone,
  otp: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'must be 6 digits'),
  fullName: fullName.optional().describe('Saved for a new patient (or one without a name yet)'),
  email: email.optional(),
  totp: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'must be 6 digits')
    .optional()
    .describe("Staff sign-in of an admin who enrolled a second factor: the authenticator app's current code"),
});

export const userReply = z.object({
  id: z.uuid(),
  phone: z.string(),
  fullName: z.string().nullable(),
  email: z.string().nullable(),
  role,
});

export const loginReply = z.object({
  accessToken: z.string().describe('JWT, 15 minutes; send as `Authorization: Bearer <token>`'),
  refreshToken: z.string().describe('Opaque, 7 days, single use: each refresh returns a new one'),
  isNewUser: z.boolean(),
  user: userReply,
});

export const refreshBody = z.object({
  refreshToken: z
    .string()
    .trim()
    .min(20)
    .max(200)
    .optional()
    .describe('Left out (`{}`), the `carebook_refresh` HttpOnly cookie is used'),
});

export const sessionsReply = z.array(
  z.object({
    id: z.uuid().describe('The login (refresh family); sign it out with DELETE /api/auth/sessions/{id}'),
    createdAt: z.string().describe('When it was last refreshed (or signed in)'),
    expiresAt: z.string().describe('When the login ends for good'),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean().describe('The login making this request'),
  }),
);
export const signedOutReply = z.object({ signedOut: z.number().int().describe('Sessions ended') });
export const totpEnrolReply = z.object({
  secret: z.string().describe('Base32 secret for the authenticator app'),
  otpauthUrl: z.string().describe('otpauth:// URI (show as a QR code)'),
});
export const totpConfirmBody = z.object({
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'must be 6 digits'),
});
export const totpStatusReply = z.object({ enrolled: z.boolean(), confirmedAt: z.string().nullable() });
export const refreshReply = z.object({ accessToken: z.string(), refreshToken: z.string() });

const addressSchema = z.object({
  line1: z.string().trim().max(200).optional(),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().max(100).optional(),
  state: z.string().trim().max(100).optional(),
  postalCode: z.string().trim().max(20).optional(),
  country: z.string().trim().max(100).optional(),
});
const emergencyContactSchema = z.object({
  name: z.string().trim().min(1).max(200),
  phone,
  relationship: z.string().trim().max(100).optional(),
});
const gender = z.enum(['female', 'male', 'other', 'undisclosed']);

export const profileReply = z.object({
  id: z.uuid(),
  phone: z.string(),
  fullName: z.string().nullable(),
  email: z.string().nullable(),
  role,
  dateOfBirth: z.string().nullable().describe('YYYY-MM-DD'),
  gender: gender.nullable(),
  address: addressSchema.nullable(),
  emergencyContact: emergencyContactSchema.nullable(),
});

export const profileUpdateBody = z
  .object({
    fullName: fullName.optional(),
    email: email.nullable().optional(),
    dateOfBirth: boundedDate().nullable().optional().describe('YYYY-MM-DD, not in the future'),
    gender: gender.nullable().optional(),
    address: addressSchema.nullable().optional(),
    emergencyContact: emergencyContactSchema.nullable().optional(),
  })
  .describe(
    'Fields left out stay as they are; null clears a field. The phone number cannot be changed here.',
  );

export const idParams = z.object({ id: z.uuid() });

export const patientLookupQuery = z.object({ phone });
export const patientContact = z.object({
  id: z.uuid(),
  fullName: z.string().nullable(),
  phone: z.string().describe('E.164'),
  email: z.string().nullable(),
});
export const registerPatientBody = z.object({ phone, fullName, email: email.optional() });

export const adminUserReply = userReply.extend({ isActive: z.boolean() });
export const adminUsersQuery = pageQuery({ defaultLimit: 200, maxLimit: 500 }).extend({
  role: role.optional(),
});
export const createUserBody = z.object({
  role: z.enum(['clinician', 'staff', 'admin']),
  phone,
  fullName,
  email: email.optional(),
  specialization: z.string().trim().min(1).max(100).optional().describe('Required for clinicians'),
  timeZone: z.string().trim().max(64).optional().describe('IANA zone; clinicians only, default Asia/Kolkata'),
  registrationNumber: z.string().trim().max(64).optional(),
  languages: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
  bio: z.string().trim().max(2000).optional(),
});
export const updateUserBody = z.object({ isActive: z.boolean() });

export const auditQuery = pageQuery({ defaultLimit: 100, maxLimit: 500 }).extend({
  resourceType: z.string().trim().max(100).optional(),
  resourceId: z.string().trim().max(100).optional(),
  actorId: z.uuid().optional(),
});
export const auditReply = pageOf(
  z.object({
    id: z.uuid(),
    occurredAt: z.string(),
    actorId: z.string().nullable(),
    actorRole: z.string().nullable(),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    changedFields: z.array(z.string()),
  }),
);

// Shared components of the OpenAPI document (referenced, not inlined).
component('User', userReply);
component('PatientProfile', profileReply);
component('AdminUser', adminUserReply);
component('PatientContact', patientContact);
