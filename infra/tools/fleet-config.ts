/**
 * A generated fleet configuration of `count` mailboxes, as a platform team would write it: one
 * provider, secrets under one name prefix, two schedules. Used by the fleet tests and
 * fleet-report.ts; `npx tsx infra/tools/fleet-config.ts 1000 > fleet.json` writes one for
 * `cdk synth -c config=fleet.json`.
 */
import { pathToFileURL } from 'node:url';

/** `count` mailboxes `box-0000`..., every third polled every 15 minutes, the rest every 5. */
export function fleetConfig(count: number, idOf: (i: number) => string = (i) => `box-${String(i).padStart(4, '0')}`): Record<string, unknown> {
  return {
    mailboxes: Array.from({ length: count }, (_, i) => ({
      id: idOf(i),
      host: 'pop.example.com',
      auth: { user: `${idOf(i)}@example.com`, secret: { secretsManager: `pop3-ingest/${idOf(i)}` } },
      schedule: i % 3 === 0 ? 'rate(15 minutes)' : 'rate(5 minutes)',
      delete: 'after-days:7',
    })),
    storage: { prefix: 'mail/' },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${JSON.stringify(fleetConfig(Number(process.argv[2] ?? 1000)), null, 2)}\n`);
}
