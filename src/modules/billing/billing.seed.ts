import type { Tx } from '../../platform/db/uow.js';
import type { BillingDeps } from './billing.ports.js';
import type { BillingService } from './billing.service.js';

export type DemoDeps = BillingDeps & {
  findUserByPhone?: (phone: string) => Promise<{ id: string; fullName?: string | null } | null>;
  demoPhones?: { patients: readonly string[]; clinicians: readonly string[] };
};

/**
 * Demo data: the second demo patient holds a paid `standard` subscription (its payment recorded in
 * the ledger as if the sandbox had taken it), so chats and calls can start at once.
 */
export async function seedBillingDemo(deps: DemoDeps, service: BillingService) {
  const phone = deps.demoPhones?.patients[1];
  const patient = phone ? await deps.findUserByPhone?.(phone) : null;
  if (!patient) return;
  await deps.uow((tx: Tx) => service.grantDemoSubscription(tx, patient.id, 'standard'));
}

export async function describeBillingDemo(deps: DemoDeps, service: BillingService): Promise<string[]> {
  const lines: string[] = [];
  const phone = deps.demoPhones?.patients[1];
  const patient = phone ? await deps.findUserByPhone?.(phone) : null;
  if (patient) {
    const sub = await service.currentSubscription(patient.id);
    if (sub.plan)
      lines.push(
        `Billing: demo patient ${phone} is on plan ${sub.plan.code} with ${sub.credits.text} chat and ${sub.credits.call} call credits (POST /api/sessions/text)`,
      );
  }
  for (const p of deps.demoPhones?.clinicians ?? []) {
    const doc = await deps.findUserByPhone?.(p);
    if (!doc) continue;
    const w = await service.wallet(doc.id, { limit: 1 });
    if (w.posted.amount > 0)
      lines.push(
        `Billing: demo clinician ${p} has ${w.posted.currency} ${(w.posted.amount / 100).toFixed(2)} in their wallet (GET /api/wallet)`,
      );
  }
  return lines;
}
