import { z } from '@llm-lab/core';

/** Prices per million tokens in US dollars, for a local or self-hosted model whose cost you want tracked (e.g. GPU hours). */
export const localPricingSchema = z
  .object({
    inputPerMillion: z.number().min(0),
    outputPerMillion: z.number().min(0),
    cachedInputPerMillion: z.number().min(0).optional(),
  })
  .strict();
