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
    })
    .default({ omit: [], manifestExtra: [], nicOnly: [] }),
});
export type GuestConfig = z.infer<typeof GuestConfig>;
