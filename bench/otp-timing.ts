/**
 * `npx tsx bench/otp-timing.ts`: does POST /api/auth/send-otp take as long for a number that is not
 * on the team as for one that is (issue 10: timing must not reveal staff phones)? Starts Carebook on
 * an embedded database in a temporary directory, sends ROUNDS codes for each kind of number (fresh
 * numbers, so no cooldown), interleaved, and prints the medians.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import type { IdentityModule } from '../src/modules/identity/index.js';
import { startCarebook } from '../src/runtime.js';

const ROUNDS = Number(process.env.BENCH_OTP_ROUNDS ?? 200);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'carebook-otp-bench-'));
// As root, PostgreSQL runs as `postgres`, which must be able to enter the directory.
chmodSync(dataDir, 0o711);

const config = loadConfig({
  DATA_DIR: dataDir,
  PORT: '0',
  SEED_DEMO_DATA: 'false',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_PER_MINUTE: '1000000',
  OTP_IP_LIMIT_PER_HOUR: '1000000',
});
const carebook = await startCarebook({ config, role: 'all', log: pino({ level: 'silent' }) });
try {
  const identity = carebook.modules.find((m) => m.name === 'identity') as IdentityModule;
  const phone = (kind: number, i: number) => `+9197${kind}${String(i).padStart(7, '0')}`;
  for (let i = 0; i < ROUNDS; i++)
    await identity.service.createStaffUser(
      { role: 'staff', phone: phone(1, i), fullName: `Staff ${i}` },
      null,
    );
  const time = async (p: string) => {
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${carebook.url}/api/auth/send-otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: p }),
    });
    await res.text();
    if (res.status !== 200) throw new Error(`send-otp answered ${res.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  // Warm-up, then interleave so drift hits both alike.
  for (let i = 0; i < 20; i++) await time(phone(3, i));
  const staff: number[] = [];
  const other: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    staff.push(await time(phone(1, i)));
    other.push(await time(phone(2, i)));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `send-otp (staff flow), ${ROUNDS} each, median: team number ${median(staff).toFixed(2)} ms, other number ${median(other).toFixed(2)} ms`,
  );
} finally {
  await carebook.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
