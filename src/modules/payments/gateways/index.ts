import type { Config } from '../../../config.js';
import type { Pool } from '../../../platform/db/pool.js';
import { AppError } from '../../../platform/errors.js';
import { createRazorpayGateway } from './razorpay.js';
import { createSandboxGateway } from './sandbox.js';
import { createStripeGateway } from './stripe.js';
import type { Gateway, Provider } from './types.js';

export type Gateways = {
  defaultProvider: Provider;
  get(provider: Provider): Gateway;
  /** Providers this deployment has keys for (sandbox only outside production). */
  available(): Provider[];
};

export function createGateways(config: Config, pool: Pool): Gateways {
  const p = config.payments;
  const map = new Map<Provider, Gateway>();
  if (!config.isProduction || p.defaultProvider === 'sandbox')
    map.set(
      'sandbox',
      createSandboxGateway({ pool, secret: p.sandbox.webhookSecret, publicUrl: config.http.publicUrl }),
    );
  if (p.stripe) map.set('stripe', createStripeGateway(p.stripe, { publicUrl: config.http.publicUrl }));
  if (p.razorpay) map.set('razorpay', createRazorpayGateway(p.razorpay));
  return {
    defaultProvider: p.defaultProvider,
    get(provider) {
      const g = map.get(provider);
      if (!g)
        throw new AppError(400, 'PAYMENT_PROVIDER_UNAVAILABLE', `The ${provider} gateway is not configured.`);
      return g;
    },
    available: () => [...map.keys()],
  };
}

export type { Gateway, Provider } from './types.js';
