import { z } from 'zod';
import { HttpError, startHttpService } from '../common/http-service.ts';
import { creditserviceFaults } from './faults.ts';
import { Ledger } from './ledger.ts';

/**
 * CreditService in the reference lab: wallets, per-tenant quotas, and reservations that hold, commit or release
 * credits, with idempotency keys.
 *   POST /v1/wallets {tenant,balance}, GET /v1/wallets/:tenant, PUT /v1/quotas/:tenant {resource,limit},
 *   GET /v1/quotas/:tenant, POST /v1/reservations, GET /v1/reservations/:id, POST .../:id/commit, POST .../:id/release
 */
const WalletBody = z.object({ tenant: z.string().min(1), balance: z.number().nonnegative() });
const QuotaBody = z.object({ resource: z.string().min(1), limit: z.number().int().nonnegative() });
const ReserveBody = z.object({
  tenant: z.string().min(1),
  amount: z.number().positive(),
  resource: z.string().min(1).default('credits'),
  units: z.number().int().nonnegative().default(1),
  idempotencyKey: z.string().min(1).optional(),
});

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const res = schema.safeParse(body ?? {});
  if (!res.success) {
    throw new HttpError(400, res.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  }
  return res.data;
}

await startHttpService({
  faults: creditserviceFaults,
  routes(app, { env, faults }) {
    const ledger = new Ledger(env.stateDir);
    app.post('/v1/wallets', (req) => {
      const body = parse(WalletBody, req.body);
      return ledger.createWallet(body.tenant, body.balance);
    });
    app.get('/v1/wallets/:tenant', (req) => {
      const w = ledger.wallet(req.params.tenant ?? '');
      return { ...w, available: w.balance - w.held };
    });
    app.put('/v1/quotas/:tenant', (req) => {
      const body = parse(QuotaBody, req.body);
      ledger.setQuota(req.params.tenant ?? '', body.resource, body.limit);
      return ledger.quota(req.params.tenant ?? '');
    });
    app.get('/v1/quotas/:tenant', (req) => ledger.quota(req.params.tenant ?? ''));
    app.post('/v1/reservations', (req) =>
      ledger.reserve(parse(ReserveBody, req.body), !faults.on('quota-not-enforced'), {
        replayHoldsAgain: faults.on('idempotency-replay-doubles'),
        keyGlobal: faults.on('idempotency-key-global'),
        oneOver: faults.on('quota-admits-one-over'),
        limitExclusive: faults.on('quota-rejects-at-limit'),
      }),
    );
    app.get('/v1/reservations/:id', (req) => ledger.reservation(req.params.id ?? ''));
    app.post('/v1/reservations/:id/commit', (req) => ledger.commit(req.params.id ?? '', faults.on('double-spend')));
    app.post('/v1/reservations/:id/release', (req) => ledger.release(req.params.id ?? ''));
  },
});
