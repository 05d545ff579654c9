import { z } from 'zod';

/** The run's configuration of the quickstart guest (guest.json on its config share). */
export const GuestConfig = z.object({
  ports: z.record(z.string(), z.number().int().positive()),
  /** faults of this boot, by name: what a negative test breaks in the guest */
  faults: z
    .object({
      /** services left out of the guest although the system names them */
      omit: z.array(z.string()).default([]),
      /** components added to the shipped manifest */
      manifestExtra: z.array(z.string()).default([]),
      /** services that listen only on the guest's NIC address, not on its loopback */
      nicOnly: z.array(z.string()).default([]),
      /** services started but never ready: their process runs and listens nowhere, the supervisor says starting */
      stall: z.array(z.string()).default([]),
    })
    .default({ omit: [], manifestExtra: [], nicOnly: [], stall: [] }),
});
export type GuestConfig = z.infer<typeof GuestConfig>;

/**
 * Where the guest's own service supervisor says what it runs, every service it started and its state: beside the
 * services' logs, on the log share the host reads (so the host reads it without a call into the guest).
 */
export const guestServiceListFile = 'services.json';
export const guestServiceListPath = `/var/log/ultracloud/${guestServiceListFile}`;

/** The guest's service list (guest-services writes it once every service is started, again on each readiness). */
export const GuestServiceList = z.object({
  services: z.array(z.object({ name: z.string(), listen: z.string(), state: z.string() })),
});
export type GuestServiceList = z.infer<typeof GuestServiceList>;
